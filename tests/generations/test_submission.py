from datetime import timedelta

import pytest
from django.utils import timezone

from billing.services import balance
from generations import lifecycle, tasks
from generations.models import Status
from generations.providers.base import Update
from tests.generations.conftest import PRICE, created, refused, reload, status


@pytest.fixture
def now(time_machine):
    time_machine.move_to("2026-06-01 12:00:00+00:00", tick=False)
    return timezone.now()


def later(time_machine, seconds):
    time_machine.shift(timedelta(seconds=seconds))


def test_it_submits_and_polls_soon_without_callbacks(create, fake_providers, run_queued, now):
    fake_providers.script(created("task-1"))
    generation = create()

    assert run_queued() == ["submitted"]

    generation = reload(generation)
    assert (generation.status, generation.provider_task_id) == (Status.QUEUED, "task-1")
    assert generation.submitted_at == now
    assert generation.next_poll_at == now + timedelta(seconds=5)
    assert generation.submission_started_at is None
    assert [c.method for c in fake_providers.calls] == ["POST"]


def test_it_sends_the_callback_url_and_polls_later_when_one_is_expected(
    create, fake_providers, run_queued, now
):
    fake_providers.add("alpha", callbacks=True)
    fake_providers.script(created())
    generation = create()

    run_queued()

    sent = fake_providers.calls[0].content.decode()
    assert f"/callbacks/alpha/{generation.callback_token}/" in sent
    assert reload(generation).next_poll_at == now + timedelta(seconds=30)


def test_a_5xx_is_retried_later_and_then_succeeds(
    create, fake_providers, run_queued, queued, now, time_machine
):
    fake_providers.script(refused("HTTP 503", retryable=True), created("task-2"))
    generation = create()

    run_queued()
    generation = reload(generation)
    assert generation.status == Status.PENDING
    assert generation.next_poll_at == now + timedelta(seconds=5)

    later(time_machine, 5)
    tasks.poll_due()
    assert run_queued() == ["submitted"]
    generation = reload(generation)
    assert (generation.status, generation.provider_task_id, generation.submit_attempts) == (
        Status.QUEUED,
        "task-2",
        2,
    )


def test_a_429_waits_for_retry_after(create, fake_providers, run_queued, now):
    fake_providers.script(refused("HTTP 429", retryable=True, retry_after=42))
    generation = create()

    run_queued()

    assert reload(generation).next_poll_at == now + timedelta(seconds=42)
    assert tasks.poll_due() == 0  # not due yet


def test_a_permanent_4xx_fails_and_releases(create, fake_providers, run_queued, funded):
    fake_providers.script(refused("prompt violates policy", code="content_policy"))
    generation = create()

    run_queued()

    generation = reload(generation)
    assert generation.status == Status.FAILED
    assert (generation.error_code, generation.error_message) == ("content_policy", "prompt violates policy")
    assert balance(funded).available == 1000
    assert generation.hold_state == "released"


def test_auto_fails_over_when_the_provider_certainly_did_not_start_a_task(create, fake_providers, run_queued):
    fake_providers.add("beta")
    fake_providers.script(refused("HTTP 502", retryable=True), created("beta-1"))
    generation = create()

    run_queued()

    generation = reload(generation)
    assert (generation.status, generation.provider, generation.provider_task_id) == (
        Status.QUEUED,
        "beta",
        "beta-1",
    )
    assert [c.url for c in fake_providers.calls] == ["https://alpha.test/tasks", "https://beta.test/tasks"]


def test_a_named_provider_is_retried_not_replaced(create, fake_providers, run_queued):
    fake_providers.add("beta")
    fake_providers.script(refused("HTTP 502", retryable=True))
    generation = create(provider="alpha")

    run_queued()

    generation = reload(generation)
    assert (generation.status, generation.provider) == (Status.PENDING, "alpha")


def test_it_gives_up_after_the_last_attempt(
    create, fake_providers, run_queued, time_machine, settings, funded, now
):
    settings.GENERATION_SUBMIT_MAX_ATTEMPTS = 2
    fake_providers.script(refused("HTTP 503", retryable=True), refused("HTTP 503", retryable=True))
    generation = create()
    run_queued()
    later(time_machine, 5)
    tasks.poll_due()

    run_queued()

    generation = reload(generation)
    assert (generation.status, generation.error_code) == (Status.FAILED, "provider_unavailable")
    assert balance(funded).held == 0


def test_an_ambiguous_timeout_is_recorded_and_never_resubmitted(
    create, fake_providers, run_queued, time_machine, funded, now
):
    fake_providers.add("beta")
    fake_providers.script(refused("read timeout", retryable=True, task_created=None, code="timeout"))
    generation = create()

    run_queued()
    generation = reload(generation)
    assert (generation.status, generation.provider) == (Status.PENDING, "alpha")
    assert generation.events.filter(message__startswith="Outcome unknown").exists()
    assert balance(funded).held == PRICE  # still held while the outcome is unknown

    later(time_machine, 60)
    tasks.poll_due()
    run_queued()
    assert len(fake_providers.calls) == 1

    # No callback can reveal a task for this provider: after the lease it fails, released.
    later(time_machine, 300)
    tasks.poll_due()
    generation = reload(generation)
    assert (generation.status, generation.error_code) == (Status.FAILED, "submission_unconfirmed")
    assert balance(funded).available == 1000
    assert len(fake_providers.calls) == 1


def test_a_worker_killed_mid_submission_is_resolved_without_losing_the_hold(
    create, fake_providers, queued, time_machine, funded, now
):
    generation = create()
    queued.clear()
    lifecycle.begin_submission(generation.id)
    # ... the worker sent the create call and died before saving the answer.

    later(time_machine, 60)
    tasks.poll_due()  # a live worker could still be in the call: leave it alone
    assert reload(generation).status == Status.PENDING
    assert reload(generation).hold_state == "held"

    later(time_machine, 300)
    tasks.poll_due()

    generation = reload(generation)
    assert (generation.status, generation.error_code) == (Status.FAILED, "submission_unconfirmed")
    assert balance(funded).available == 1000
    assert fake_providers.calls == []  # never resubmitted blindly
    assert queued == []


def test_a_lost_submission_is_adopted_by_the_providers_callback(
    create, fake_providers, queued, time_machine, now, client, django_capture_on_commit_callbacks
):
    fake_providers.add("alpha", callbacks=True)
    generation = create()
    queued.clear()
    lifecycle.begin_submission(generation.id)
    later(time_machine, 301)
    tasks.poll_due()
    assert reload(generation).status == Status.PENDING  # waiting for a callback, within the grace

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/callbacks/alpha/{generation.callback_token}/",
            {"task_id": "found-1", "state": "running"},
            content_type="application/json",
        )

    assert response.status_code == 200
    generation = reload(generation)
    assert (generation.status, generation.provider_task_id) == (Status.QUEUED, "found-1")
    assert ("poll_generation", generation.id, "callback") in queued  # unsigned: confirm with the provider


def test_the_in_flight_cap_keeps_jobs_pending_until_a_slot_frees(
    create, fake_providers, run_queued, funded, time_machine, now
):
    funded.max_in_flight = 1
    funded.save()
    fake_providers.script(created("t-1"))
    first, second = create(), create()

    run_queued()

    assert reload(first).status == Status.QUEUED
    assert reload(second).status == Status.PENDING
    assert reload(second).events.filter(message__startswith="Waiting").exists()
    assert len(fake_providers.calls) == 1

    lifecycle.provider_update(
        first.id, Update(state="succeeded", video_url="https://cdn.test/v.mp4"), source="poll"
    )
    fake_providers.script(created("t-2"))
    later(time_machine, 5)
    tasks.poll_due()
    run_queued()

    assert (reload(second).status, reload(second).provider_task_id) == (Status.QUEUED, "t-2")


def test_a_job_cancelled_during_its_create_call_is_cancelled_upstream(
    create, fake_providers, run_queued, funded
):
    fake_providers.add("alpha", cancel=True)
    generation = create()

    def customer_cancels_meanwhile(request):
        lifecycle.cancel(generation)
        return created("t-9")

    fake_providers.script(customer_cancels_meanwhile, status("cancelled"))

    assert run_queued() == ["cancelled"]

    generation = reload(generation)
    assert (generation.status, generation.provider_task_id) == (Status.CANCELLED, "t-9")
    assert [c.method for c in fake_providers.calls] == ["POST", "DELETE"]
    assert balance(funded).available == 1000
