"""Staff in Chromium: the review queue says why a job was held and shows its frames, the detail
page plays our copy of the video, and suspending a team asks for a reason the team then reads.
axe-core finds no serious or critical violation on these admin pages, light and dark."""

from __future__ import annotations

import base64
import io

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.test import Client

from accounts.models import AuditEvent
from generations.models import Status
from tests.browser.checks import assert_accessible
from tests.factories import make_generation, make_tenant, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SAMPLE = settings.BASE_DIR / "static" / "sandbox" / "sample.mp4"


def _frame_uri() -> str:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (480, 320), (30, 90, 160)).save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


@pytest.fixture
def moderation_desk(settings, tmp_path, live_server):
    settings.MEDIA_ROOT = tmp_path
    settings.MODERATION_REVIEW_TERMS = ["volcano"]
    owner = make_user("maya@example.org")
    tenant = make_tenant("Maya Studio", owner=owner)
    held = make_generation(tenant, prompt="A volcano erupting over a quiet village", first_frame=_frame_uri())
    type(held).objects.filter(pk=held.pk).update(status=Status.AWAITING_REVIEW)
    done = make_generation(tenant, prompt="A paper boat on a puddle")
    done.video_file.save("sample.mp4", ContentFile(SAMPLE.read_bytes()))
    type(done).objects.filter(pk=done.pk).update(status=Status.SUCCEEDED)
    return {"tenant": tenant, "held": held, "done": done, "owner": owner}


def _log_in(tab, live_server, user):
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    tab.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])


def assert_no_serious_violations(tab, where: str, reload: bool = True) -> None:
    """axe-core in both colour schemes, each on the page loaded with that preference (or, with
    reload=False, on the page as it is, in the scheme it was opened with)."""
    for scheme in ("light", "dark") if reload else (None,):
        if scheme:
            tab.emulate_media(color_scheme=scheme)
            tab.reload()
        assert_accessible(tab, f"{where} ({scheme})" if scheme else where, impacts=("serious", "critical"))
    if reload:
        tab.emulate_media(color_scheme="light")
        tab.reload()


def test_a_moderator_sees_why_a_job_was_held_and_watches_a_result(tab, live_server, moderation_desk):
    _log_in(tab, live_server, make_user("sam@example.org", is_staff=True, is_superuser=True))
    held, done = moderation_desk["held"], moderation_desk["done"]

    tab.goto("/admin/generations/generation/review/")
    row = tab.locator("#result_list tbody tr", has_text=held.pk)
    assert row.locator("mark.term").inner_text() == "volcano"
    assert "Held: The prompt contains “volcano”" in row.inner_text()
    frame = row.get_by_role("img", name=f"First frame of {held.pk}")
    frame.wait_for()
    tab.wait_for_function("img => img.complete && img.naturalWidth === 480", arg=frame.element_handle())
    assert_no_serious_violations(tab, "the review queue")

    tab.goto(f"/admin/generations/generation/{done.pk}/change/")
    tab.locator("video.admin-video").wait_for()
    tab.wait_for_function("() => document.querySelector('video.admin-video').readyState >= 1")
    assert tab.evaluate("document.querySelector('video.admin-video').duration") > 0
    assert tab.evaluate("document.querySelector('video.admin-video').error") is None
    assert_no_serious_violations(tab, "the generation detail page")


def test_suspending_a_team_asks_why_and_the_team_reads_it(tab, live_server, moderation_desk):
    tenant = moderation_desk["tenant"]
    _log_in(tab, live_server, make_user("sam@example.org", is_staff=True, is_superuser=True))

    for scheme in ("light", "dark"):  # the confirmation page, opened with each preference
        tab.emulate_media(color_scheme=scheme)
        tab.goto("/admin/accounts/tenant/")
        tab.locator(f'input[name="_selected_action"][value="{tenant.pk}"]').check()
        tab.locator('select[name="action"]').select_option("suspend")
        tab.locator('button[name="index"]').click()
        tab.get_by_role("button", name="Suspend").wait_for()
        assert_no_serious_violations(tab, f"the suspension page ({scheme})", reload=False)
    tab.get_by_role("button", name="Suspend").click()  # no reason yet: the browser refuses
    assert tab.get_by_label("Reason").evaluate("el => el.validity.valueMissing")
    tab.get_by_label("Reason").fill("   ")  # spaces pass the browser; the server refuses them
    tab.get_by_role("button", name="Suspend").click()
    tab.get_by_text("This field is required.").wait_for()
    assert not AuditEvent.objects.exists()
    tab.get_by_label("Reason").fill("Payment disputed; write to billing@seedance.example")
    tab.get_by_role("button", name="Suspend").click()
    tab.get_by_text("Suspend (refuse new work)…: maya-studio.").wait_for()
    assert AuditEvent.objects.get(action="tenant.suspend").note.startswith("Payment disputed")

    tab.context.clear_cookies()
    _log_in(tab, live_server, moderation_desk["owner"])
    tab.goto("/")
    banner = tab.get_by_role("alert").filter(has_text="This team is suspended")
    assert "Payment disputed; write to billing@seedance.example" in banner.inner_text()
