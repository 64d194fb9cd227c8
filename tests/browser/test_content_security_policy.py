"""Under the Content-Security-Policy the portal and /api/docs/ work, and the browser reports no
violation: every script is a file of ours, confirmations included."""

import pytest

from billing.services import grant
from generations.models import Status
from tests.factories import PASSWORD, make_generation, make_tenant, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def violations(tab):
    """CSP violations the page reports, as console messages."""
    seen = []
    tab.on(
        "console",
        lambda message: seen.append(message.text) if "Content Security Policy" in message.text else None,
    )
    return seen


def test_the_portal_and_its_confirmations_work_under_the_policy(tab, violations):
    owner = make_user("maya@example.org")
    tenant = make_tenant("Maya Studio", owner=owner)
    grant(tenant, 100, actor=owner, note="credits")
    generation = make_generation(tenant, hold=32, created_by_user=owner)
    assert generation.status == Status.PENDING

    response = tab.goto("/accounts/login/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    tab.get_by_label("Email address").fill("maya@example.org")
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Log in").click()
    tab.wait_for_url("**/")

    tab.goto(f"/generations/{generation.id}/")
    asked = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    tab.once("dialog", dismiss)
    tab.get_by_role("button", name="Cancel").click()
    tab.wait_for_timeout(300)
    assert asked == ["Cancel this generation? The held credits are released."]
    generation.refresh_from_db()
    assert generation.status == Status.PENDING  # dismissed: nothing was submitted
    assert violations == []


def test_swagger_ui_renders_under_the_policy(tab, violations):
    tab.goto("/api/docs/")
    tab.locator(".swagger-ui .info .title").wait_for()
    assert "Seedance Studio API" in tab.locator(".swagger-ui .info .title").inner_text()
    assert tab.locator(".opblock").count() > 5
    assert violations == []
