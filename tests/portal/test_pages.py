"""Dashboard and webhooks pages for each role, and the navigation each role sees."""

import pytest

from tests.factories import fund, make_generation


@pytest.mark.parametrize(
    "who, sees, hidden",
    [
        ("as_alice", ["/keys/", "/team/", "/webhooks/", "/generations/new/"], []),
        ("as_bob", ["/generations/new/"], ["/keys/", "/team/", "/webhooks/"]),
        ("as_vera", [], ["/keys/", "/team/", "/webhooks/", "/generations/new/"]),
    ],
)
def test_dashboard_shows_what_the_role_may_do(request, who, sees, hidden, tenant):
    page = request.getfixturevalue(who).get("/").content.decode()
    for url in sees:
        assert f'href="{url}"' in page, url
    for url in hidden:
        assert f'href="{url}"' not in page, url


def test_dashboard_shows_credits_and_recent_generations(as_bob, tenant, other_tenant):
    fund(tenant, 250)
    make_generation(tenant, prompt="Paper boats on a river")
    make_generation(other_tenant, prompt="charlie's clip")
    page = as_bob.get("/").content.decode()
    assert 'id="available">250<' in page
    assert "Paper boats on a river" in page and "charlie" not in page


def test_charlie_sees_only_his_own_team(as_charlie, tenant):
    make_generation(tenant, prompt="alice's private clip")
    page = as_charlie.get("/").content.decode()
    assert "Charlie&#x27;s Team" in page and "private clip" not in page


def test_webhooks_page_for_owner_and_admin_only(as_alice, as_bob, as_vera):
    assert as_alice.get("/webhooks/").status_code == 200
    assert as_bob.get("/webhooks/").status_code == 403
    assert as_vera.get("/webhooks/").status_code == 403


def test_refusals_say_which_role_lacks_what(as_vera):
    page = as_vera.get("/keys/").content.decode()
    assert "(viewer) does not allow you to manage API keys" in page


def test_suspended_team_sees_a_banner(as_bob, tenant):
    tenant.suspended = True
    tenant.save()
    assert "This team is suspended" in as_bob.get("/").content.decode()
