"""History in a real browser: the gallery shows posters (one decoded from our copy of the video),
a card's video plays on hover and on keyboard focus, a job created through the API appears on
top of an open History page without a reload, in the grid and in the list, at phone and desktop
widths, with no axe-core violation in light or dark."""

from __future__ import annotations

import httpx
import pytest
from django.conf import settings
from django.core.files.base import ContentFile

from billing.services import grant
from generations import posters
from generations.models import Generation, Status
from tests.browser.checks import assert_fits_and_accessible, log_in
from tests.factories import make_api_key, make_generation, make_tenant, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SAMPLE = settings.BASE_DIR / "static" / "sandbox" / "sample.mp4"
FRAME = settings.BASE_DIR / "static" / "sandbox" / "last-frame.png"


@pytest.fixture
def team(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    owner = make_user("nora@example.org")
    tenant = make_tenant("Nora Films", owner=owner)
    grant(tenant, 1000, note="test funds")
    _key, secret = make_api_key(tenant, "render farm", created_by=owner)
    kie = make_generation(
        tenant,
        prompt="A kite over the dunes at noon",
        provider="kie",
        status=Status.SUCCEEDED,
        created_by_user=owner,
    )
    kie.video_file.save(f"{kie.pk}.mp4", ContentFile(SAMPLE.read_bytes()))
    assert posters.make_poster(kie.pk)  # decoded from our copy: Kie returns no image
    ark = make_generation(
        tenant,
        prompt="Rain on a tin roof, close up",
        provider="ark",
        status=Status.SUCCEEDED,
        created_by_user=owner,
    )
    ark.video_file.save(f"{ark.pk}.mp4", ContentFile(SAMPLE.read_bytes()))
    ark.last_frame_file.save(f"{ark.pk}-last-frame.png", ContentFile(FRAME.read_bytes()))
    make_generation(tenant, prompt="A kite that never flew", status=Status.FAILED, created_by_user=owner)
    return tenant, secret


def create_through_the_api(live_server, secret: str, prompt: str) -> str:
    response = httpx.post(
        f"{live_server.url}/api/v1/generations",
        json={"prompt": prompt, "provider": "sandbox", "resolution": "480p", "duration": 5},
        headers={"Authorization": f"Bearer {secret}"},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


@pytest.mark.parametrize("width", [390, 1280])
def test_the_gallery_plays_on_hover_and_shows_jobs_made_elsewhere(chromium, live_server, team, width):
    tenant, secret = team
    context = chromium.new_context(base_url=live_server.url, viewport={"width": width, "height": 844})
    context.set_default_timeout(15_000)
    screen = context.new_page()
    try:
        log_in(screen, "nora@example.org")
        screen.goto("/generations/")
        screen.get_by_role("link", name="Grid").click()
        screen.wait_for_url("**view=grid")
        tiles = screen.locator("#history-items .tile")
        assert tiles.count() == 3
        # Both videos have a poster that loaded, named by the prompt; the failed job a status.
        for prompt in ("A kite over the dunes at noon", "Rain on a tin roof, close up"):
            poster = screen.get_by_role("img", name=f"Poster frame: {prompt}")
            poster.scroll_into_view_if_needed()
            screen.wait_for_function(
                "img => img.complete && img.naturalWidth > 0", arg=poster.element_handle()
            )
        assert screen.locator("#history-items .tile-status [data-status='failed']").count() == 1
        assert_fits_and_accessible(screen, f"gallery at {width} px")

        # Pointing at a card plays its video, muted; moving away stops it.
        first = screen.locator("[data-hover-play]").first
        first.hover()
        screen.wait_for_function(
            "el => { const v = el.querySelector('video'); return !v.paused && v.muted && v.currentTime > 0; }",
            arg=first.element_handle(),
        )
        screen.mouse.move(0, 0)
        screen.wait_for_function("el => el.querySelector('video').paused", arg=first.element_handle())
        # Keyboard focus plays it too.
        first.focus()
        screen.wait_for_function("el => !el.querySelector('video').paused", arg=first.element_handle())

        # A job created through the API appears on top without a reload, with the filters kept.
        screen.get_by_label("Search").fill("kite")
        screen.get_by_role("button", name="Filter").click()
        screen.wait_for_url("**q=kite**")
        assert "view=grid" in screen.url and tiles.count() == 2
        marker = screen.evaluate("() => (window.__same_page = Math.random())")
        made = create_through_the_api(live_server, secret, "A kite made by the render farm")
        create_through_the_api(live_server, secret, "A whale nobody searched for")
        screen.locator(f"#history-items > .tile[data-generation='{made}']").wait_for()
        assert screen.locator("#history-items > .tile").first.get_attribute("data-generation") == made
        assert tiles.count() == 3  # the whale does not match the search
        assert screen.evaluate("() => window.__same_page") == marker  # no reload happened
        assert_fits_and_accessible(screen, f"gallery with a new job at {width} px")

        # The list keeps the search, and gets the next job on top too.
        screen.get_by_role("link", name="List").click()
        screen.wait_for_url("**q=kite**")
        assert "view=grid" not in screen.url
        rows = screen.locator("#history-items > tr")
        assert rows.count() == 3
        again = create_through_the_api(live_server, secret, "Another kite from the API")
        screen.locator(f"#history-items > tr[data-generation='{again}']").wait_for()
        assert rows.first.get_attribute("data-generation") == again
        assert_fits_and_accessible(screen, f"list with a new job at {width} px")
        assert Generation.objects.filter(tenant=tenant).count() == 6
    finally:
        context.close()
