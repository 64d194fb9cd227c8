from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from billing.services import balance
from generations import tasks
from generations.management.commands.run_poller import Command as RunPoller
from generations.models import Status
from tests.generations.conftest import PRICE, created, refused, reload, status


@pytest.fixture
def submitted(create, fake_providers, run_queued, time_machine):
    """A job queued at the provider as task-1, at a frozen clock."""
    time_machine.move_to("2026-06-01 12:00:00+00:00", tick=False)
    fake_providers.script(created("task-1"))
    generation = create()
    run_queued()
    return reload(generation)


def poll(time_machine, run_queued, seconds):
    time_machine.shift(timedelta(seconds=seconds))
    tasks.poll_due()
    return run_queued()


def test_a_poll_that_reports_success_captures_the_credits(
    submitted, fake_providers, run_queued, time_machine, funded
):
    fake_providers.script(status("succeeded", video_url="https://cdn.test/v.mp4"))

    # The provider is done; the outbox worker copies the video, then the job has succeeded.
    assert poll(time_machine, run_queued, 5) == ["finishing"]

    generation = reload(submitted)
    assert (generation.status, generation.video_url, generation.charged) == (
        Status.SUCCEEDED,
        "https://cdn.test/v.mp4",
        PRICE,
    )
    assert balance(funded).balance == 1000 - PRICE
    assert balance(funded).held == 0


def test_polls_back_off_from_5_to_60_seconds(submitted, fake_providers, run_queued, time_machine):
    delays = []
    for _ in range(6):
        fake_providers.script(status("running"))
        due = reload(submitted).next_poll_at
        time_machine.move_to(due, tick=False)
        tasks.poll_due()
        run_queued()
        delays.append((reload(submitted).next_poll_at - timezone.now()).total_seconds())

    assert delays == [10, 20, 40, 60, 60, 60]
    assert reload(submitted).status == Status.RUNNING


def test_transport_errors_while_polling_never_end_the_job(
    submitted, fake_providers, run_queued, time_machine, funded
):
    fake_providers.script(refused("HTTP 500", retryable=True), refused("task not found", code="not_found"))

    poll(time_machine, run_queued, 5)
    poll(time_machine, run_queued, 60)

    generation = reload(submitted)
    assert generation.status == Status.QUEUED
    assert generation.next_poll_at > timezone.now()
    assert balance(funded).held == PRICE
    assert generation.events.filter(message__contains="Status check at alpha failed").count() == 2


def test_a_poll_error_with_retry_after_waits_that_long(submitted, fake_providers, run_queued, time_machine):
    fake_providers.script(refused("HTTP 429", retryable=True, retry_after=90))

    poll(time_machine, run_queued, 5)

    assert reload(submitted).next_poll_at == timezone.now() + timedelta(seconds=90)


def test_an_unknown_upstream_state_keeps_polling(submitted, fake_providers, run_queued, time_machine):
    fake_providers.script(status("paused_for_maintenance"))

    poll(time_machine, run_queued, 5)

    generation = reload(submitted)
    assert generation.status == Status.QUEUED
    assert generation.next_poll_at == timezone.now() + timedelta(seconds=10)
    assert generation.events.filter(message__contains="unknown state").exists()


def test_a_job_past_its_deadline_expires_and_is_released(
    submitted, run_queued, time_machine, funded, fake_providers
):
    time_machine.move_to(submitted.deadline, tick=False)
    tasks.poll_due()
    run_queued()

    generation = reload(submitted)
    assert (generation.status, generation.error_code) == (Status.EXPIRED, "deadline_exceeded")
    assert balance(funded).available == 1000
    assert [c.method for c in fake_providers.calls] == ["POST"]  # no poll past the deadline


def test_the_deadline_can_differ_per_provider(create, settings):
    settings.GENERATION_DEADLINE_HOURS_BY_PROVIDER = {"alpha": 2}

    generation = create()

    assert generation.deadline - generation.created_at == timedelta(hours=2)


def test_an_auto_duration_job_is_charged_for_the_duration_it_got(
    create, fake_providers, run_queued, funded, django_capture_on_commit_callbacks
):
    fake_providers.script(
        created("t-auto"), status("succeeded", video_url="https://cdn.test/v.mp4", duration_s=5)
    )
    generation = create(duration=-1)
    assert generation.held == 12 * 4  # the longest it may choose, at 4 credits/s
    run_queued()

    with django_capture_on_commit_callbacks(execute=True):
        tasks.poll_generation(generation.id)
    run_queued()

    generation = reload(generation)
    assert (generation.actual_duration, generation.charged) == (5, 5 * 4)
    assert balance(funded).balance == 1000 - 20
    assert balance(funded).held == 0


def test_a_sweep_claims_a_row_once(submitted, queued, time_machine):
    time_machine.shift(timedelta(seconds=5))

    assert tasks.poll_due() == 1
    assert tasks.poll_due() == 0  # claimed by the first sweep
    assert queued == [("poll_generation", submitted.id)]


def test_run_poller_once_sweeps(submitted, queued, time_machine, capsys):
    time_machine.shift(timedelta(seconds=5))

    call_command("run_poller", "--once")

    assert queued == [("poll_generation", submitted.id)]


def test_run_poller_keeps_going_after_a_failed_sweep(monkeypatch, db):
    sweeps = []

    def flaky_sweep():
        sweeps.append(1)
        if len(sweeps) == 1:
            raise RuntimeError("database restarting")
        return 0

    command = RunPoller()
    monkeypatch.setattr("generations.management.commands.run_poller.poll_due", flaky_sweep)
    # Django's test transaction must stay open; the real loop recycles stale connections.
    monkeypatch.setattr("generations.management.commands.run_poller.close_old_connections", lambda: None)
    monkeypatch.setattr(command, "sleep", lambda s: setattr(command, "running", len(sweeps) < 2))

    command.loop(interval=0)

    assert len(sweeps) == 2
