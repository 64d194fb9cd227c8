"""The portal's /audit/ page: owners see their own tenant's events; nobody else sees any."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts import audit
from tests.factories import make_user

URL = "/audit/"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_url_is_the_one_in_the_contract():
    assert reverse("audit:log") == URL


def test_an_owner_sees_their_tenants_events_and_no_one_elses(alice, tenant, other_tenant, charlie):
    audit.record(alice, "api_key.create", tenant=tenant, after={"name": "CI key"})
    audit.record(charlie, "api_key.create", tenant=other_tenant, after={"name": "charlies-secret-key"})

    page = _client(alice).get(URL).content.decode()

    assert "API key created" in page
    assert "CI key" in page
    assert "charlies-secret-key" not in page
    assert "charlie@example.org" not in page


def test_staff_actions_are_shown_as_support_without_their_address(alice, tenant):
    sam = make_user("sam@example.org", is_staff=True)
    audit.record(
        sam,
        "tenant.suspend",
        target=tenant,
        before={"suspended": False},
        after={"suspended": True},
        request=RequestFactory().post("/admin/", REMOTE_ADDR="192.0.2.44"),
    )

    page = _client(alice).get(URL).content.decode()

    assert "Team suspended" in page
    assert "Seedance support" in page
    assert "suspended: no → yes" in page
    assert "sam@example.org" not in page and "192.0.2.44" not in page


@pytest.mark.parametrize("who", ["bob", "vera"])
def test_members_and_viewers_do_not_see_the_page(request, tenant, who):
    audit.record(None, "credits.grant", tenant=tenant, note="secret-note")

    response = _client(request.getfixturevalue(who)).get(URL)

    assert response.status_code == 403
    assert "secret-note" not in response.content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_an_owner_of_two_teams_sees_only_the_current_one(alice, tenant, other_tenant):
    from accounts.models import Membership, Role

    Membership.objects.create(user=alice, tenant=other_tenant, role=Role.OWNER)
    audit.record(alice, "member.invite", tenant=tenant, after={"email": "in-first@example.org"})
    audit.record(alice, "member.invite", tenant=other_tenant, after={"email": "in-second@example.org"})
    client = _client(alice)
    session = client.session
    session["tenant_id"] = other_tenant.pk
    session.save()

    page = client.get(URL).content.decode()

    assert "in-second@example.org" in page and "in-first@example.org" not in page


def test_only_owners_get_a_link_to_the_audit_log(client, alice, bob, tenant):
    client.force_login(alice)
    assert 'href="/audit/"' in client.get("/").content.decode()
    client.force_login(bob)
    assert 'href="/audit/"' not in client.get("/").content.decode()
