import re

import pytest
from django.core import mail

from accounts.models import ApiKey, Membership, Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "a-long-browser-pass-42"


def sign_up(tab, email: str, team: str) -> None:
    tab.goto("/accounts/signup/")
    tab.get_by_label("Email address").fill(email)
    tab.get_by_label("Team name").fill(team)
    tab.get_by_label("Password", exact=True).fill(PASSWORD)
    tab.get_by_label("Password confirmation").fill(PASSWORD)
    tab.get_by_role("button", name="Sign up").click()
    tab.wait_for_url("**/accounts/confirm-email/")
    # The confirmation email's link logs the new user in.
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", mail.outbox[-1].body).group(1)
    tab.goto(link)
    tab.get_by_role("button", name="Confirm").click()
    tab.wait_for_url("**/")


def test_a_new_user_signs_up_and_owns_a_team(tab):
    sign_up(tab, "nina@example.org", "Nina Studio")
    assert tab.locator("h1").inner_text() == "Nina Studio"
    assert tab.get_by_text("You are owner here.").is_visible()
    assert Membership.objects.get(user__email="nina@example.org").role == Role.OWNER


def test_create_copy_and_revoke_an_api_key(tab):
    sign_up(tab, "omar@example.org", "Omar Media")
    tab.get_by_role("link", name="API keys").click()
    tab.get_by_label("Name").fill("Render farm")
    tab.get_by_role("button", name="Create key").click()

    secret = tab.locator("#new-key-secret").inner_text().strip()
    assert secret.startswith("sds_")
    tab.get_by_role("button", name="Copy").click()
    key = ApiKey.objects.get(name="Render farm")
    assert ApiKey.authenticate(secret) == key

    tab.once("dialog", lambda dialog: dialog.accept())
    tab.locator(f'tr[data-key="{key.prefix}"]').get_by_role("button", name="Revoke").click()
    tab.wait_for_url("**/keys/")
    assert tab.locator(f'tr[data-key="{key.prefix}"] .badge').inner_text() == "revoked"
    assert ApiKey.authenticate(secret) is None
