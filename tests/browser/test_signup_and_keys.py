import pytest

from accounts.models import ApiKey, Membership, Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-browser-pass-42"


def sign_up(page, email: str, team: str) -> None:
    page.goto("/accounts/signup/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Team name").fill(team)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url("**/")


def test_a_new_user_signs_up_and_owns_a_team(page):
    sign_up(page, "nina@example.org", "Nina Studio")
    assert page.locator("h1").inner_text() == "Nina Studio"
    assert page.get_by_text("You are owner here.").is_visible()
    assert Membership.objects.get(user__email="nina@example.org").role == Role.OWNER


def test_create_copy_and_revoke_an_api_key(page):
    sign_up(page, "omar@example.org", "Omar Media")
    page.get_by_role("link", name="API keys").click()
    page.get_by_label("Name").fill("Render farm")
    page.get_by_role("button", name="Create key").click()

    secret = page.locator("#new-key-secret").inner_text().strip()
    assert secret.startswith("sds_")
    page.get_by_role("button", name="Copy").click()
    key = ApiKey.objects.get(name="Render farm")
    assert ApiKey.authenticate(secret) == key

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f'tr[data-key="{key.prefix}"]').get_by_role("button", name="Revoke").click()
    page.wait_for_url("**/keys/")
    assert page.locator(f'tr[data-key="{key.prefix}"] .badge').inner_text() == "revoked"
    assert ApiKey.authenticate(secret) is None
