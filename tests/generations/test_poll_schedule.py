"""The poll schedule learns how long jobs take: for a job expected to take about 45 s, status
calls come once it can be done and every few seconds after, what it learns does not drift later
when results are noticed late, and a callback stops the calls."""

from datetime import timedelta
from itertools import pairwise

import pytest
from django.utils import timezone

from generations import polling, tasks
from generations.models import Mirror, Status
from tests.factories import make_generation
from tests.generations.conftest import created, reload, status

CADENCE = 4


@pytest.fixture
def history(funded, settings):
    """Ten recent 720p/8 s jobs at the polling-only provider `alpha` that took 42 to 48 s."""
    settings.GENERATION_POLL_CADENCE_SECONDS = CADENCE
    now = timezone.now()
    for n in range(10):
        sent = now - timedelta(minutes=30 + n)
        make_generation(
            funded, provider="alpha", status=Status.SUCCEEDED, resolution="720p", duration=8,
            submitted_at=sent, result_at=sent + timedelta(seconds=42 + n * 6 / 9),
            result_source="poll", mirror_state=Mirror.COPIED,
        )  # fmt: skip
    polling.forget()


def run_until_done(
    generation, fake_providers, run_queued, time_machine, finishes_after, lag=0.0, reports_run_time=False
):
    """Let the poller run: each due poll asks the fake provider, which is done after
    `finishes_after` seconds (and says so when `reports_run_time`); the poll runs `lag` seconds
    after it was due (a busy worker). Returns the seconds (from submission) of every status call."""
    done_status = status(
        "succeeded",
        video_url="https://cdn.test/v.mp4",
        run_seconds=finishes_after if reports_run_time else None,
    )
    start = reload(generation).submitted_at
    calls = []
    while reload(generation).stage in (Status.QUEUED, Status.RUNNING):
        due = reload(generation).next_poll_at
        assert due is not None, "an open job with nothing scheduled"
        due += timedelta(seconds=lag)
        time_machine.move_to(due, tick=False)
        elapsed = (due - start).total_seconds()
        done = elapsed >= finishes_after
        fake_providers.script(done_status if done else status("running"))
        tasks.poll_due()
        run_queued()
        calls.append(elapsed)
    return calls


def submit(create, fake_providers, run_queued, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    fake_providers.script(created("task-1"))
    generation = create(resolution="720p", duration=8)
    run_queued()
    return reload(generation)


@pytest.mark.parametrize("finishes_after", [40.0, 45.0, 50.0])
def test_polls_start_when_the_job_can_be_done_then_keep_a_short_cadence(
    history, create, fake_providers, run_queued, time_machine, finishes_after
):
    generation = submit(create, fake_providers, run_queued, time_machine)

    calls = run_until_done(generation, fake_providers, run_queued, time_machine, finishes_after)

    assert calls[0] >= 42 - CADENCE - 1  # nothing asked while the job cannot be done yet
    assert all(b - a == pytest.approx(CADENCE, abs=0.5) for a, b in pairwise(calls))
    assert calls[-1] - finishes_after < CADENCE + 0.5  # seen within one cadence of finishing
    assert len(calls) <= 12
    assert reload(generation).status == Status.SUCCEEDED


def test_results_found_by_the_backoff_teach_a_first_poll_before_the_job_can_be_done(
    create, fake_providers, run_queued, time_machine, funded, settings
):
    """Nothing learned yet: the backoff finds three 45 s jobs late (at 75 s). The next job is
    still asked about first before 45 s, because those jobs were seen running at 35 s."""
    settings.GENERATION_POLL_CADENCE_SECONDS = CADENCE
    for _ in range(3):
        generation = submit(create, fake_providers, run_queued, time_machine)
        calls = run_until_done(generation, fake_providers, run_queued, time_machine, 45.0)
        assert calls[-1] - 45 > 20  # the backoff saw it late
    polling.forget()

    generation = submit(create, fake_providers, run_queued, time_machine)
    calls = run_until_done(generation, fake_providers, run_queued, time_machine, 45.0)

    assert calls[0] <= 45
    assert calls[-1] - 45 < CADENCE + 0.5
    assert len(calls) <= 12


def test_the_providers_own_run_time_teaches_the_schedule_exactly(
    create, fake_providers, run_queued, time_machine, funded, settings
):
    """Three 45 s jobs found late by the backoff, whose provider reported how long each took:
    the next job is asked about first at 45 s, and once is enough."""
    settings.GENERATION_POLL_CADENCE_SECONDS = CADENCE
    for _ in range(3):
        generation = submit(create, fake_providers, run_queued, time_machine)
        run_until_done(generation, fake_providers, run_queued, time_machine, 45.0, reports_run_time=True)
        assert reload(generation).provider_run_seconds == 45
    polling.forget()

    generation = submit(create, fake_providers, run_queued, time_machine)
    calls = run_until_done(generation, fake_providers, run_queued, time_machine, 45.0, reports_run_time=True)

    assert calls == [45.0]


def test_learning_does_not_drift_later_when_results_are_noticed_late(
    create, fake_providers, run_queued, time_machine, funded, settings
):
    """Every poll of a row of 45 s jobs runs 6 s after it was due (longer than the cadence),
    so each result is recorded late; the first poll of each next job still comes before 45 s."""
    settings.GENERATION_POLL_CADENCE_SECONDS = CADENCE
    first_polls = []
    for _ in range(12):
        polling.forget()
        generation = submit(create, fake_providers, run_queued, time_machine)
        calls = run_until_done(generation, fake_providers, run_queued, time_machine, 45.0, lag=6.0)
        first_polls.append(calls[0])

    assert max(first_polls[4:]) <= 45
    assert first_polls[-1] <= first_polls[4]


def test_without_history_the_backoff_applies(create, fake_providers, run_queued, time_machine, funded):
    generation = submit(create, fake_providers, run_queued, time_machine)

    assert (generation.next_poll_at - generation.submitted_at).total_seconds() == 5


def test_a_callback_stops_the_polls(
    history, create, fake_providers, run_queued, time_machine, client, django_capture_on_commit_callbacks
):
    generation = submit(create, fake_providers, run_queued, time_machine)
    fake_providers.script(status("succeeded", video_url="https://cdn.test/v.mp4"))

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/callbacks/alpha/{generation.callback_token}/",
            {"task_id": "task-1", "state": "succeeded", "video_url": "https://cdn.test/v.mp4"},
            content_type="application/json",
        )
    run_queued()  # the status fetch the unsigned callback asked for, then the copy

    generation = reload(generation)
    assert generation.status == Status.SUCCEEDED
    assert generation.next_poll_at is None
    assert generation.result_source == "callback"
    assert tasks.poll_due() == 0
