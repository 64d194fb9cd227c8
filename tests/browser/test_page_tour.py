"""Every portal page opens in a real browser, styled, for each role that may see it.

Screenshots of each page go to test-artifacts/pages/ (for reviewers; not compared).
"""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.models import Invitation, Role
from billing.services import grant
from generations.holds import capture
from generations.models import GenerationEvent, Status
from generations.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.browser.checks import assert_accessible, assert_fits, log_in
from tests.browser.conftest import ARTIFACTS
from tests.factories import add_member, make_api_key, make_generation, make_tenant, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SAMPLE = settings.BASE_DIR / "static" / "sandbox" / "sample.mp4"
FRAME = settings.BASE_DIR / "static" / "sandbox" / "last-frame.png"
LONG_PROMPT = (
    "A very long prompt about a lighthouse keeper who climbs the spiral stairs at dusk, "
    "lights the great lamp, and watches container ships pass through a violet storm, "
    "anamorphic lens, film grain, slow dolly-in, cinematic colour grade"
)
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
            generation.last_frame_file.save("last.png", ContentFile(FRAME.read_bytes()))
        GenerationEvent.record(generation, GenerationEvent.Kind.STATE, f"Created by {owner} on sandbox")
        GenerationEvent.record(generation, GenerationEvent.Kind.STATE, f"pending → {status} (poll)")
        type(generation).objects.filter(pk=generation.pk).update(status=status)
    held = make_generation(tenant, hold=32, prompt=LONG_PROMPT, created_by_user=owner)
    type(held).objects.filter(pk=held.pk).update(status=Status.AWAITING_REVIEW)
    rejected = make_generation(tenant, prompt="A famous person in a cameo", created_by_user=owner)
    type(rejected).objects.filter(pk=rejected.pk).update(
        status=Status.REJECTED, error_code="rejected", moderation_note="Real people are not allowed."
    )
    endpoint = WebhookEndpoint.objects.create(tenant=tenant, url="https://hooks.example.org/seedance/receive")
    for state, code in (("delivered", 200), ("failed", 500)):
        WebhookDelivery.objects.create(
            tenant=tenant,
            endpoint=endpoint,
            generation=held,
            target="endpoint",
            url=endpoint.url,
            event_type="generation.succeeded",
            webhook_id=f"msg_{state}",
            body='{"type": "generation.succeeded"}',
            state=state,
            attempts=1,
            status_code=code,
            latency_ms=120,
            response_excerpt="" if code == 200 else "Internal Server Error: the receiving app crashed",
            error="" if code == 200 else "HTTP 500",
        )
    make_api_key(tenant, "Production server", created_by=owner)
    Invitation.objects.create(tenant=tenant, email="newbie@example.org", role=Role.MEMBER, invited_by=owner)
    return tenant


def shoot(tab, name):
    folder = ARTIFACTS / "pages"
    folder.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def assert_styled(tab):
    # The stylesheet loaded: the top bar is sticky and the body uses the design's background.
    assert tab.evaluate("getComputedStyle(document.body).backgroundColor") != "rgba(0, 0, 0, 0)"


def owner_pages(studio) -> dict[str, tuple[str, str]]:
    generation = studio.generations.filter(status=Status.SUCCEEDED).first()
    running = studio.generations.get(status=Status.RUNNING)
    failed = studio.generations.get(status=Status.FAILED)
    held = studio.generations.get(status=Status.AWAITING_REVIEW)
    rejected = studio.generations.get(status=Status.REJECTED)
    return {
        "dashboard": ("/", "Maya Studio"),
        "history": ("/generations/", "Generations"),
        "new": ("/generations/new/", "New generation"),
        "detail": (f"/generations/{generation.id}/", generation.prompt[:30]),
        "detail-running": (f"/generations/{running.id}/", running.prompt[:30]),
        "detail-failed": (f"/generations/{failed.id}/", failed.prompt[:30]),
        "detail-review": (f"/generations/{held.id}/", held.prompt[:30]),
        "detail-rejected": (f"/generations/{rejected.id}/", rejected.prompt[:20]),
        "keys": ("/keys/", "API keys"),
        "team": ("/team/", "Team"),
        "billing": ("/billing/", "Billing"),
        "usage": ("/billing/usage/", "Usage"),
        "webhooks": ("/webhooks/", "Webhooks"),
        "delivery": (f"/webhooks/deliveries/{studio.webhook_deliveries.get(state='failed').pk}/", "Delivery"),
        "audit": ("/audit/", "Audit log"),
        "new-team": ("/accounts/teams/new/", "Create a team"),
        "password-change": ("/accounts/password_change/", "Change password"),
        "two-factor": ("/accounts/2fa/", "Two-Factor Authentication"),
    }


def public_pages(studio) -> dict[str, tuple[str, str]]:
    invitation = studio.invitations.first()
    return {
        "login": ("/accounts/login/", "Log in"),
        "signup": ("/accounts/signup/", "Create"),
        "password-reset": ("/accounts/password_reset/", "password"),
        "invitation": (f"/accounts/invitations/{invitation.token}/", "Join Maya Studio"),
    }


def visit(tab, name, url, heading, failures):
    response = tab.goto(url)
    assert response.status == 200, url
    assert heading.lower() in tab.locator("h1").first.inner_text().lower(), url
    assert_styled(tab)
    for scheme in ("light", "dark"):
        tab.emulate_media(color_scheme=scheme)
        try:
            assert_accessible(tab, f"{name} ({scheme})")
        except AssertionError as error:
            failures.append(str(error))
        shoot(tab, f"{name}-{scheme}")
    tab.emulate_media(color_scheme="light")


def test_every_page_is_accessible_in_light_and_dark(tab, studio):
    """axe-core finds nothing on any portal page, in either colour scheme."""
    failures = []
    for name, (url, heading) in public_pages(studio).items():
        visit(tab, name, url, heading, failures)
    log_in(tab, "maya@example.org")
    for name, (url, heading) in owner_pages(studio).items():
        visit(tab, name, url, heading, failures)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("width", [390, 768, 1280])
def test_nothing_is_wider_than_the_screen(chromium, live_server, studio, width):
    context = chromium.new_context(base_url=live_server.url, viewport={"width": width, "height": 844})
    screen = context.new_page()
    log_in(screen, "maya@example.org")
    failures = []
    for name, (url, _heading) in owner_pages(studio).items():
        screen.goto(url)
        try:
            assert_fits(screen, name)
        except AssertionError as error:
            failures.append(str(error))
        shoot(screen, f"{name}-{width}")
    context.close()
    assert not failures, "\n".join(failures)


def test_viewer_sees_pages_without_create_buttons(tab, studio):
    log_in(tab, "ivy@example.org")
    assert tab.get_by_role("link", name="New generation").count() == 0
    tab.goto("/generations/")
    assert tab.locator("#history tbody tr").count() == len(PROMPTS) + 2
    assert tab.get_by_role("link", name="New generation").count() == 0
    shoot(tab, "history-viewer")


def test_phone_menu_reaches_every_page(chromium, live_server, studio):
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    phone = context.new_page()
    log_in(phone, "maya@example.org")
    nav = phone.get_by_role("navigation", name="Main")
    assert not nav.is_visible()
    for name, heading in (("Billing", "Billing"), ("Webhooks", "Webhooks"), ("API keys", "API keys")):
        phone.get_by_role("button", name="Menu").click()
        assert phone.get_by_role("button", name="Menu").get_attribute("aria-expanded") == "true"
        nav.get_by_role("link", name=name).click()
        assert phone.locator("h1").first.inner_text() == heading
    # The keys table is stacked rows: Revoke is on screen, not beyond a sideways scroll.
    revoke = phone.get_by_role("button", name="Revoke")
    box = revoke.bounding_box()
    assert 0 <= box["x"] and box["x"] + box["width"] <= 390
    phone.goto("/generations/new/")
    assert phone.locator("#quote [data-credits]").inner_text() == "32 credits"
    context.close()


def test_skip_link_and_favicon(tab, studio):
    log_in(tab, "leo@example.org")
    tab.keyboard.press("Tab")
    skip = tab.get_by_role("link", name="Skip to content")
    assert skip.evaluate("el => el === document.activeElement")
    assert skip.bounding_box()["y"] >= 0  # it shows itself when focused
    tab.keyboard.press("Enter")
    assert tab.evaluate("document.activeElement.id") == "main"
    icon = tab.locator("link[rel=icon]").get_attribute("href")
    assert tab.request.get(icon).status == 200
