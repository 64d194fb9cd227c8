"""Every adapter against the in-process sandbox: create, poll to success or failure, callback."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import time_machine
from django.contrib.staticfiles import finders
from django.utils import timezone

from generations import outbound, providers
from generations.providers import transport
from generations.providers.base import ProviderError, State
from generations.sandbox.callbacks import deliver_due_callbacks
from generations.sandbox.models import SandboxTask
from generations.sandbox.testing import harness
from generations.spec import GenerationSpec

SLUGS = ["kie", "apikley", "kkiai", "ark", "aizfw", "jiekou", "sandbox"]
WITH_CALLBACKS = ["kie", "apikley", "ark", "sandbox"]
FIRST = "https://cdn.example.com/first.png"
LAST = "https://cdn.example.com/last.png"


def spec(prompt="A cat yawning at the camera", images=0, **kw):
    frames = (
        {"first_frame": FIRST, "last_frame": LAST}
        if images == 2
        else {"first_frame": FIRST}
        if images
        else {}
    )
    fields = {"aspect_ratio": "16:9", "resolution": "720p", "duration": 8, **frames, **kw}
    return GenerationSpec(prompt=prompt, **fields)


def create(slug, job, callback_url=None):
    adapter = providers.get_adapter(slug)
    return adapter, adapter.parse_create(transport.send(adapter.build_create(job, callback_url)))


def poll(adapter, task_id):
    return adapter.parse_status(transport.send(adapter.build_status(task_id)))


@pytest.fixture
def hooks(settings, db, monkeypatch):
    """The sandbox, plus a capture of every callback it posts to http://hooks.test (a public
    name for the outbound guard)."""
    monkeypatch.setattr(outbound, "resolve", lambda host, port: ["93.184.216.34"])
    received: list[httpx.Request] = []

    def capture(request):
        request.read()
        received.append(request)
        return httpx.Response(200)

    with harness(settings, mounts={"http://hooks.test": httpx.MockTransport(capture)}):
        yield received


@pytest.mark.parametrize("slug", SLUGS)
@pytest.mark.parametrize("images", [0, 1, 2], ids=["text", "one-image", "two-images"])
def test_text_one_and_two_images_succeed(sandbox, slug, images):
    adapter, task_id = create(slug, spec(images=images))
    update = poll(adapter, task_id)

    assert update.state == State.SUCCEEDED
    assert update.video_url == f"{sandbox.site_url}/static/sandbox/sample.mp4"


@pytest.mark.parametrize("slug", SLUGS)
def test_a_failing_prompt_polls_to_failure_with_a_message(sandbox, slug):
    adapter, task_id = create(slug, spec("A cat [sandbox:fail]"))
    update = poll(adapter, task_id)

    assert update.state == State.FAILED
    assert "[sandbox:fail]" in update.error_message


def test_the_last_frame_comes_back_where_asked(sandbox):
    adapter, task_id = create("ark", spec(images=1))
    assert poll(adapter, task_id).last_frame_url == f"{sandbox.site_url}/static/sandbox/last-frame.png"


def test_the_sample_files_are_real_media():
    assert Path(finders.find("sandbox/sample.mp4")).read_bytes()[4:8] == b"ftyp"
    assert Path(finders.find("sandbox/last-frame.png")).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("slug", SLUGS)
def test_tasks_move_through_the_providers_own_states(sandbox, settings, slug):
    settings.SANDBOX_DELAY_SECONDS = 10
    with time_machine.travel(timezone.now(), tick=False) as clock:
        adapter, task_id = create(slug, spec())
        assert poll(adapter, task_id).state == State.QUEUED
        clock.shift(6)
        running = poll(adapter, task_id)
        assert running.state == State.RUNNING
        clock.shift(5)
        assert poll(adapter, task_id).state == State.SUCCEEDED


@pytest.mark.parametrize("slug", WITH_CALLBACKS)
def test_the_callback_is_delivered_and_parses(hooks, slug):
    adapter, task_id = create(slug, spec(), f"http://hooks.test/cb/{slug}/")
    poll(adapter, task_id)
    assert hooks == []  # a status read never sends it

    assert deliver_due_callbacks() == 1  # what the task's timer does when it finishes

    assert len(hooks) == 1
    callback = adapter.parse_callback(hooks[0].content, hooks[0].headers)
    assert callback.task_id == task_id
    assert callback.claimed in ("success", "succeeded")  # Kie's word, Ark's word


def test_kie_callbacks_are_signed_when_a_key_is_set(hooks, settings):
    settings.KIE_WEBHOOK_HMAC_KEY = "hmac-key"
    adapter, _task_id = create("kie", spec("A cat [sandbox:fail]"), "http://hooks.test/cb/")
    deliver_due_callbacks()

    assert adapter.callbacks_are_signed
    callback = adapter.parse_callback(hooks[0].content, hooks[0].headers)
    assert (callback.claimed, bool(callback.replay_key)) == ("fail", True)


def test_unpolled_tasks_get_their_callback_from_the_schedule_once(hooks, settings, sandbox_clock):
    settings.SANDBOX_DELAY_SECONDS = 10
    create("ark", spec(), "http://hooks.test/cb/")
    assert deliver_due_callbacks() == 0  # still running
    sandbox_clock.shift(11)
    assert deliver_due_callbacks() == 1
    assert deliver_due_callbacks() == 0
    assert len(hooks) == 1


def test_nocallback_sends_none(hooks):
    adapter, task_id = create("ark", spec("A cat [sandbox:nocallback]"), "http://hooks.test/cb/")
    assert poll(adapter, task_id).state == State.SUCCEEDED
    assert deliver_due_callbacks() == 0
    assert hooks == []


@pytest.mark.django_db(transaction=True)
def test_the_callback_is_sent_when_the_task_finishes_without_anyone_asking(hooks, settings):
    settings.SANDBOX_CALLBACK_TIMERS = True
    settings.SANDBOX_DELAY_SECONDS = 0.3
    adapter, task_id = create("ark", spec(), "http://hooks.test/cb/")

    for _ in range(100):  # the task's own timer sends it; nobody polls
        if hooks:
            break
        time.sleep(0.05)

    assert len(hooks) == 1
    assert adapter.parse_callback(hooks[0].content, hooks[0].headers).task_id == task_id


def test_task_durations_vary_around_the_configured_delay(sandbox, settings):
    settings.SANDBOX_DELAY_SECONDS, settings.SANDBOX_DELAY_SPREAD = 40, 0.25
    for n in range(20):
        create("ark", spec(f"A cat yawning, take {n}"))

    delays = list(SandboxTask.objects.values_list("delay_seconds", flat=True))
    assert all(30 <= d <= 50 for d in delays)
    assert len(set(delays)) > 10


@pytest.fixture
def sandbox_clock():
    with time_machine.travel(timezone.now(), tick=False) as clock:
        yield clock


@pytest.mark.parametrize(
    ("slug", "state"),
    [("ark", State.EXPIRED), ("kie", State.FAILED), ("aizfw", State.FAILED), ("jiekou", State.EXPIRED)],
)
def test_expire_uses_each_protocols_nearest_state(sandbox, slug, state):
    adapter, task_id = create(slug, spec("A cat [sandbox:expire]"))
    assert poll(adapter, task_id).state == state


def test_slow_stays_in_progress_much_longer(sandbox, settings, sandbox_clock):
    adapter, task_id = create("kie", spec("A cat [sandbox:slow]"))
    sandbox_clock.shift(20)
    assert not poll(adapter, task_id).is_terminal


@pytest.fixture
def no_sleep(monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr(transport, "sleep", waits.append)
    return waits


@pytest.mark.parametrize("slug", SLUGS)
def test_5xx_answers_once_and_the_transport_retries(sandbox, no_sleep, slug):
    adapter, task_id = create(slug, spec("A cat [sandbox:5xx]"))
    assert poll(adapter, task_id).state == State.SUCCEEDED
    assert len(no_sleep) == 1


@pytest.mark.parametrize("slug", SLUGS)
def test_429_answers_once_with_retry_after(sandbox, no_sleep, slug):
    _adapter, task_id = create(slug, spec("A cat [sandbox:429]"))
    assert task_id
    assert no_sleep == [1.0]


@pytest.mark.parametrize("slug", SLUGS)
def test_timeout_is_ambiguous_and_the_task_exists(sandbox, slug):
    with pytest.raises(ProviderError) as exc:
        create(slug, spec("A cat [sandbox:timeout]"))
    assert (exc.value.code, exc.value.task_created) == ("timeout", None)
    assert sandbox.tasks.filter(prompt="A cat [sandbox:timeout]").count() == 1


@pytest.mark.parametrize("slug", SLUGS)
def test_a_malformed_status_is_a_retryable_error(sandbox, slug):
    adapter, task_id = create(slug, spec("A cat [sandbox:malformed]"))
    with pytest.raises(ProviderError) as exc:
        poll(adapter, task_id)
    assert exc.value.retryable


@pytest.mark.parametrize("slug", SLUGS[:-1])  # the sandbox slug's key *is* the sandbox's key
def test_a_wrong_key_is_refused_for_good(sandbox, settings, slug):
    setattr(settings, f"{slug.upper()}_API_KEY", "not-the-key")
    with pytest.raises(ProviderError) as exc:
        create(slug, spec())
    assert not exc.value.retryable


@pytest.mark.parametrize("slug", SLUGS)
def test_an_unknown_task_is_an_error_not_a_state(sandbox, slug):
    adapter = providers.get_adapter(slug)
    with pytest.raises(ProviderError):
        poll(adapter, "no-such-task")


@pytest.mark.parametrize(
    ("slug", "bad"),
    [
        ("kie", {"aspect_ratio": "adaptive"}),
        ("apikley", {"duration": 5}),
        ("aizfw", {"resolution": "4k"}),
        ("jiekou", {"duration": 13}),
        ("ark", {"resolution": "4k"}),
        ("kkiai", {"first_frame": "data:nope"}),
    ],
)
def test_adapter_bugs_surface_as_permanent_sandbox_4xx(sandbox, slug, bad):
    # Bypass the capability check, as a buggy adapter would, and let the sandbox validate.
    job = spec(**bad)
    adapter = providers.get_adapter(slug)
    with pytest.raises(ProviderError) as exc:
        adapter.parse_create(transport.send(adapter.build_create(job, None)))
    assert not exc.value.retryable


def test_ark_cancels_a_queued_task(sandbox, settings):
    settings.SANDBOX_DELAY_SECONDS = 10
    adapter, task_id = create("ark", spec())
    assert transport.send(adapter.build_cancel(task_id)).status_code == 200
    assert poll(adapter, task_id).state == State.CANCELLED


def test_kie_param_echoes_the_request(sandbox):
    adapter, task_id = create("kie", spec())
    body = transport.send(adapter.build_status(task_id)).json()
    assert json.loads(body["data"]["param"])["input"]["prompt"] == "A cat yawning at the camera"


def test_the_sandbox_is_mounted_at_site_url_paths(sandbox, settings):
    assert providers.get_adapter("kkiai").base_url == f"{settings.SITE_URL}/sandbox/kkiai/volc/v1"
    assert timedelta(seconds=settings.SANDBOX_DELAY_SECONDS) == timedelta(0)
