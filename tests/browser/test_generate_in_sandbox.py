"""A user generates a video against the sandbox provider and watches it finish in the browser."""

import pytest
from django_q.conf import Conf

from billing.services import balance, grant
from generations import tasks
from generations.models import Generation, Status
from tests.browser.checks import log_in
from tests.factories import make_tenant, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PROMPT = "A lighthouse keeper waves from the gallery, stormy sea, cinematic [portal-e2e]"


@pytest.fixture
def sandbox(live_server, settings):
    """The shared sandbox harness, with SITE_URL on the live server: provider calls are served
    in-process, and the result copy fetches the sample video from the live server over HTTP."""
    from generations.sandbox.testing import harness

    settings.SITE_URL = live_server.url
    with harness(settings) as h:
        yield h


@pytest.fixture
def studio(sandbox, settings, tmp_path, monkeypatch):
    """A funded team, the sandbox answering every provider call, tasks run inline."""
    settings.MEDIA_ROOT = tmp_path
    # django-q2 reads SYNC once at import; override_settings would not reach it.
    monkeypatch.setattr(Conf, "SYNC", True)
    owner = make_user("gus@example.org")
    tenant = make_tenant("Gus Pictures", owner=owner)
    grant(tenant, 500, note="test funds")
    return tenant


# Records the notifications the page shows (the real Notification still runs).
RECORD_NOTIFICATIONS = """
window.__notified = [];
const RealNotification = window.Notification;
window.Notification = class extends RealNotification {
  constructor(title, options) { super(title, options); window.__notified.push(title); }
};
"""


def test_generate_watch_it_succeed_and_find_it_in_history(tab, studio, sandbox):
    tab.context.grant_permissions(["notifications"])
    tab.add_init_script(RECORD_NOTIFICATIONS)
    log_in(tab, "gus@example.org")
    tab.get_by_role("link", name="New generation").first.click()

    tab.get_by_label("Prompt").fill(PROMPT)
    tab.get_by_label("Provider").select_option("sandbox")
    # The price follows the fields live (htmx): 8 s at 480p is 16 credits, at 720p 32.
    tab.get_by_label("Resolution").select_option("480p")
    tab.wait_for_selector('#quote [data-credits="16"]')
    tab.get_by_label("Resolution").select_option("720p")
    tab.wait_for_selector('#quote [data-credits="32"]')
    tab.get_by_role("button", name="Generate video").click()
    tab.wait_for_url("**/generations/gen_*/")

    generation = Generation.objects.get(tenant=studio)
    assert generation.prompt == PROMPT and generation.held == 32

    # The poller submits it; the sandbox owes a completion callback; the page polls itself and
    # must flip to succeeded.
    for _ in range(60):
        tasks.poll_due()
        sandbox.deliver_due_callbacks()
        if tab.locator('#live [data-status="succeeded"]').count():
            break
        tab.wait_for_timeout(250)
    assert tab.locator("#live .badge").inner_text() == "Succeeded"
    # The tab's title and a browser notification say it ended.
    assert tab.title().startswith("Succeeded · ")
    assert tab.evaluate("window.__notified") == ["Generation succeeded"]

    video = tab.locator("#player video")
    video.wait_for()
    # Playable: the browser loaded the metadata of our mirrored copy without a media error.
    tab.wait_for_function(
        "() => { const v = document.querySelector('#player video'); return v.readyState >= 1; }"
    )
    assert tab.evaluate("document.querySelector('#player video').error") is None
    assert tab.evaluate("document.querySelector('#player video').duration") > 0
    assert "32 credits" in tab.locator("#live").inner_text()
    assert balance(studio).balance == 468

    tab.get_by_role("link", name="Generations").first.click()
    tab.get_by_placeholder("Search prompts…").fill("lighthouse keeper")
    tab.get_by_role("button", name="Filter").click()
    rows = tab.locator("#history tbody tr[data-generation]")
    assert rows.count() == 1
    assert rows.first.get_attribute("data-generation") == generation.id
    assert Generation.objects.get(pk=generation.pk).status == Status.SUCCEEDED
