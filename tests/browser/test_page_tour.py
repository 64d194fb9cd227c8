"""Every portal page opens in a real browser, styled, for each role that may see it.

Screenshots of each page go to test-artifacts/pages/ (for reviewers; not compared).
"""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.models import Invitation, Role
from billing.services import capture, grant
from generations.models import GenerationEvent, Status
from tests.browser.conftest import ARTIFACTS
from tests.factories import PASSWORD, add_member, make_api_key, make_generation, make_tenant, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SAMPLE = settings.BASE_DIR / "static" / "sandbox" / "sample.mp4"
PROMPTS = [
    "A paper boat drifts down a rain-soaked street, macro lens, golden reflections",
    "Aerial shot over a misty pine forest at sunrise, slow push-in",
    "A chef flips a pancake in slow motion, warm kitchen light",
    "Neon-lit Tokyo alley at night, light rain, handheld camera",
    "An astronaut plants a flag on a glittering ice moon",
]


@pytest.fixture
def studio(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    owner = make_user("maya@example.org")
    tenant = make_tenant("Maya Studio", owner=owner)
    add_member(tenant, make_user("leo@example.org"), Role.MEMBER)
    add_member(tenant, make_user("ivy@example.org"), Role.VIEWER)
    grant(tenant, 2000, actor=owner, note="Welcome credits")
    statuses = [Status.SUCCEEDED, Status.RUNNING, Status.FAILED, Status.SUCCEEDED, Status.CANCELLED]
    for n, (prompt, status) in enumerate(zip(PROMPTS, statuses, strict=True)):
        generation = make_generation(
            tenant,
            hold=32,
            prompt=prompt,
            created_by_user=owner,
            created_at=timezone.now() - timedelta(days=n * 3),
        )
        if status == Status.SUCCEEDED:
            capture(generation)
            generation.video_file.save("sample.mp4", ContentFile(SAMPLE.read_bytes()))
        GenerationEvent.record(generation, GenerationEvent.Kind.STATE, f"Created by {owner} on sandbox")
        GenerationEvent.record(generation, GenerationEvent.Kind.STATE, f"pending → {status} (poll)")
        type(generation).objects.filter(pk=generation.pk).update(status=status)
    make_api_key(tenant, "Production server", created_by=owner)
    Invitation.objects.create(tenant=tenant, email="newbie@example.org", role=Role.MEMBER, invited_by=owner)
    return tenant


def log_in(tab, email):
    tab.goto("/accounts/login/")
    tab.get_by_label("Email address").fill(email)
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Log in").click()
    tab.wait_for_url("**/")


def shoot(tab, name):
    folder = ARTIFACTS / "pages"
    folder.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def assert_styled(tab):
    # The stylesheet loaded: the top bar is sticky and the body uses the design's background.
    assert tab.evaluate("getComputedStyle(document.body).backgroundColor") != "rgba(0, 0, 0, 0)"


def test_owner_tour_of_every_page(tab, studio):
    tab.goto("/accounts/login/")
    assert_styled(tab)
    shoot(tab, "login")
    tab.goto("/accounts/signup/")
    shoot(tab, "signup")
    log_in(tab, "maya@example.org")
    generation = studio.generations.filter(status=Status.SUCCEEDED).first()
    running = studio.generations.get(status=Status.RUNNING)
    pages = {
        "dashboard": ("/", "Maya Studio"),
        "history": ("/generations/", "Generations"),
        "new": ("/generations/new/", "New generation"),
        "detail": (f"/generations/{generation.id}/", generation.prompt[:30]),
        "detail-running": (f"/generations/{running.id}/", running.prompt[:30]),
        "keys": ("/keys/", "API keys"),
        "team": ("/team/", "Team"),
        "billing": ("/billing/", "Billing"),
        "webhooks": ("/webhooks/", "Webhooks"),
        "password-change": ("/accounts/password_change/", "Change password"),
        "two-factor": ("/accounts/2fa/", "Two-Factor Authentication"),
    }
    for name, (url, heading) in pages.items():
        response = tab.goto(url)
        assert response.status == 200, url
        assert heading in tab.locator("h1").first.inner_text(), url
        assert_styled(tab)
        shoot(tab, name)


def test_viewer_sees_pages_without_create_buttons(tab, studio):
    log_in(tab, "ivy@example.org")
    assert tab.get_by_role("link", name="New generation").count() == 0
    tab.goto("/generations/")
    assert tab.locator("#history tbody tr").count() == len(PROMPTS)
    assert tab.get_by_role("link", name="New generation").count() == 0
    shoot(tab, "history-viewer")


def test_narrow_screen_layout(chromium, live_server, studio):
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    phone = context.new_page()
    log_in(phone, "leo@example.org")
    # Nothing spills sideways on a phone.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shoot(phone, "dashboard-phone")
    phone.goto("/generations/new/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert phone.locator("#quote [data-credits]").inner_text() == "32 credits"
    shoot(phone, "new-phone")
    context.close()
