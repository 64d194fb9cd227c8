import re

from django.core import mail

from accounts.models import Membership, Role, User
from tests.factories import PASSWORD, add_member


def test_signup_creates_a_team_owned_by_the_new_user(client, db):
    response = client.post(
        "/accounts/signup/",
        {
            "email": "Dana@Example.org",
            "team_name": "Dana Films",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    user = User.objects.get(email="dana@example.org")
    membership = Membership.objects.get(user=user)
    assert membership.role == Role.OWNER
    assert membership.tenant.name == "Dana Films"
    page = client.get("/")
    assert page.status_code == 200
    assert "Dana Films" in page.content.decode()


def test_signup_names_the_team_after_the_email_when_left_empty(client, db):
    client.post(
        "/accounts/signup/", {"email": "eve@example.org", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert Membership.objects.get(user__email="eve@example.org").tenant.name == "eve's team"


def test_signup_refuses_a_taken_email_and_creates_nothing(client, alice):
    response = client.post(
        "/accounts/signup/", {"email": "ALICE@example.org", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert User.objects.filter(email__iexact="alice@example.org").count() == 1
    assert not Membership.objects.filter(user=alice).exists()


def test_signup_shows_password_problems_next_to_the_field(client, db):
    response = client.post(
        "/accounts/signup/", {"email": "f@example.org", "password1": "abc", "password2": "abd"}
    )
    assert 'id="password2-error"' in response.content.decode()
    assert not User.objects.filter(email="f@example.org").exists()


def test_login_and_logout(client, tenant, alice):
    response = client.post("/accounts/login/", {"username": "alice@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/")["Location"].startswith("/accounts/login/")


def test_login_with_a_wrong_password_says_so(client, tenant):
    response = client.post("/accounts/login/", {"username": "alice@example.org", "password": "nope"})
    assert response.status_code == 200
    assert "correct email address and password" in response.content.decode()


def test_pages_need_a_login(client, db):
    for url in ["/", "/generations/", "/generations/new/", "/keys/", "/team/", "/billing/", "/webhooks/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"/accounts/login/?next={url}"


def test_password_reset_sends_a_working_link(client, tenant, alice):
    response = client.post("/accounts/password_reset/", {"email": "alice@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-new-long-pass-9", "new_password2": "a-new-long-pass-9"},
    )
    assert done["Location"] == "/accounts/reset/done/"
    alice.refresh_from_db()
    assert alice.check_password("a-new-long-pass-9")


def test_password_change(as_alice, alice):
    response = as_alice.post(
        "/accounts/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "another-long-pass-7",
            "new_password2": "another-long-pass-7",
        },
    )
    assert response["Location"] == "/accounts/password_change/done/"
    alice.refresh_from_db()
    assert alice.check_password("another-long-pass-7")


def test_tenant_switcher_changes_the_current_team(as_bob, bob, other_tenant):
    add_member(other_tenant, bob, Role.VIEWER)
    page = as_bob.get("/").content.decode()
    assert "Alice&#x27;s Team" in page and 'name="tenant"' in page
    as_bob.post("/accounts/teams/switch/", {"tenant": other_tenant.id})
    assert "Charlie&#x27;s Team</h1>" in as_bob.get("/").content.decode()


def test_tenant_switcher_refuses_a_team_the_user_is_not_in(as_bob, other_tenant):
    assert as_bob.post("/accounts/teams/switch/", {"tenant": other_tenant.id}).status_code == 404
    assert "Alice&#x27;s Team</h1>" in as_bob.get("/").content.decode()


def test_a_user_without_a_team_is_asked_to_create_one(client, db):
    lonely = User.objects.create_user(email="lonely@example.org", password=PASSWORD)
    client.force_login(lonely)
    assert client.get("/")["Location"] == "/accounts/teams/new/"
    client.post("/accounts/teams/new/", {"name": "Solo"})
    assert Membership.objects.get(user=lonely).role == Role.OWNER


def test_creating_another_team_switches_to_it(as_alice, alice):
    as_alice.post("/accounts/teams/new/", {"name": "Side Project"})
    assert "Side Project</h1>" in as_alice.get("/").content.decode()
