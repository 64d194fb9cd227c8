"""The Usage page in Chromium: the month's tables, stacked on a phone, axe-clean light and dark;
the keys page's spend column; the low-balance banner."""

import pytest

from accounts.models import Role
from billing import low_balance
from billing.services import grant
from generations.holds import capture
from tests.browser.checks import assert_accessible, assert_fits, log_in
from tests.browser.conftest import ARTIFACTS
from tests.factories import add_member, make_api_key, make_generation, make_tenant, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def studio():
    owner = make_user("maya@example.org")
    tenant = make_tenant("Maya Studio", owner=owner)
    leo = make_user("leo@example.org")
    add_member(tenant, leo, Role.MEMBER)
    grant(tenant, 5000, actor=owner, note="Welcome credits")
    key, _ = make_api_key(tenant, "Production server with a long descriptive name", created_by=owner)
    capped, _ = make_api_key(tenant, "Nightly batch", created_by=leo, monthly_credit_limit=500)
    jobs = [
        (40, {"created_by_key": key, "provider": "kie", "resolution": "1080p"}),
        (32, {"created_by_key": capped, "provider": "sandbox", "resolution": "720p"}),
        (16, {"created_by_user": owner, "provider": "sandbox", "resolution": "480p"}),
        (24, {"created_by_user": leo, "provider": "ark", "resolution": "720p"}),
    ]
    for credits, fields in jobs:
        capture(make_generation(tenant, hold=credits, **fields))
    low_balance.set_threshold(tenant, 6000)  # 4,888 available: the banner shows on every page
    return tenant


def shoot(tab, name):
    """A screenshot for reviewers in test-artifacts/pages/ (not compared)."""
    (ARTIFACTS / "pages").mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / "pages" / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("width", [390, 1280])
def test_usage_page_fits_and_is_accessible(chromium, live_server, studio, width):
    context = chromium.new_context(base_url=live_server.url, viewport={"width": width, "height": 844})
    tab = context.new_page()
    log_in(tab, "maya@example.org")
    tab.goto("/billing/")
    tab.get_by_role("link", name="Usage by key, member, provider").click()
    assert tab.locator("h1").first.inner_text() == "Usage"
    banner = tab.locator("#low-balance")
    assert "4,888 credits available, below the warning threshold of 6,000" in banner.inner_text()
    assert banner.get_by_role("link", name="Buy credits").is_visible()
    assert tab.locator("#usage-charged").inner_text() == "112"
    provider_rows = tab.locator("#usage-provider tbody tr")
    assert provider_rows.count() == 4  # kie, sandbox, ark and the total
    # The member table: the key's jobs count for the member who made the key.
    assert "leo@example.org" in tab.locator("#usage-member").inner_text()
    if width == 390:
        # Stacked rows: each cell carries its label and the numbers are on screen.
        cell = tab.locator("#usage-key tbody tr").first.locator("td").nth(2)
        assert tab.evaluate("el => getComputedStyle(el).display", cell.element_handle()) == "flex"
        box = cell.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width
    for scheme in ("light", "dark"):
        tab.emulate_media(color_scheme=scheme)
        assert_accessible(tab, f"usage at {width} px ({scheme})")
        shoot(tab, f"usage-{width}-{scheme}")
    assert_fits(tab, f"usage at {width} px")
    # Another month, through the picker.
    months = tab.get_by_label("Month")
    months.select_option(index=1)
    tab.wait_for_url("**/billing/usage/?month=*")
    assert "Nothing charged in" in tab.locator("main").inner_text()
    assert_accessible(tab, f"usage, empty month at {width} px")
    assert_fits(tab, f"usage, empty month at {width} px")
    tab.goto("/keys/")
    spent = tab.locator("#key-list tr", has_text="Nightly batch").locator("[data-label='Spent this month']")
    assert " ".join(spent.inner_text().split()) == "32 of 500"
    assert_accessible(tab, f"keys at {width} px")
    assert_fits(tab, f"keys at {width} px")
    # The billing page's settings: the warning's threshold, then the banner is gone.
    tab.get_by_role("link", name="Buy credits").click()
    tab.get_by_label("Warn when available credits fall below").fill("100")
    tab.get_by_role("button", name="Save the warning").click()
    assert "below 100" in tab.locator(".alert-success, .messages").first.inner_text()
    assert tab.locator("#low-balance").count() == 0
    assert_accessible(tab, f"billing at {width} px")
    context.close()
