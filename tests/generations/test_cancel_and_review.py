import pytest

from billing.services import balance
from generations import lifecycle, tasks
from generations.lifecycle import NotAwaitingReview, NotCancellable
from generations.models import Status
from tests.generations.conftest import PRICE, created, refused, reload, status


@pytest.fixture
def queued_job(create, fake_providers, run_queued):
    fake_providers.script(created("task-1"))
    generation = create()
    run_queued()
    return reload(generation)


def test_cancelling_before_submission_sends_nothing_and_releases(
    create, fake_providers, funded, queued, run_queued
):
    generation = create()

    result = lifecycle.cancel(generation, actor="alice")

    assert result.status == Status.CANCELLED
    assert balance(funded).available == 1000
    assert run_queued() == ["skipped"]  # the queued submission finds nothing to do
    assert fake_providers.calls == []


def test_cancelling_uses_the_providers_cancel_where_there_is_one(fake_providers, create, run_queued, funded):
    fake_providers.add("alpha", cancel=True)
    fake_providers.script(created("task-1"), status("cancelled"))
    generation = create()
    run_queued()

    result = lifecycle.cancel(generation)

    assert result.status == Status.CANCELLED
    assert [c.method for c in fake_providers.calls] == ["POST", "DELETE"]
    assert balance(funded).available == 1000


def test_without_a_provider_cancel_we_stop_tracking_and_release(queued_job, fake_providers, funded):
    result = lifecycle.cancel(queued_job)

    assert result.status == Status.CANCELLED
    assert [c.method for c in fake_providers.calls] == ["POST"]
    assert result.events.filter(message__contains="no longer tracked").exists()
    assert balance(funded).available == 1000


def test_a_refused_provider_cancel_still_cancels_for_the_customer(fake_providers, create, run_queued, funded):
    fake_providers.add("alpha", cancel=True)
    fake_providers.script(created("task-1"), refused("task is running", code="invalid_state"))
    generation = create()
    run_queued()

    result = lifecycle.cancel(generation)

    assert result.status == Status.CANCELLED
    assert result.events.filter(message__contains="refused the cancel").exists()
    assert balance(funded).available == 1000


def test_cancelling_twice_is_harmless(create, funded):
    generation = create()
    lifecycle.cancel(generation)

    assert lifecycle.cancel(generation).status == Status.CANCELLED
    assert balance(funded).available == 1000


def test_a_finished_job_cannot_be_cancelled(
    queued_job, funded, fake_providers, run_queued, django_capture_on_commit_callbacks
):
    fake_providers.script(status("succeeded", video_url="https://cdn.test/v.mp4"))
    with django_capture_on_commit_callbacks(execute=True):
        tasks.poll_generation(queued_job.id)
    run_queued()  # the outbox worker copies the video: succeeded

    with pytest.raises(NotCancellable) as info:
        lifecycle.cancel(queued_job)

    assert info.value.http_status == 409
    assert reload(queued_job).status == Status.SUCCEEDED
    assert balance(funded).balance == 1000 - PRICE


def test_approving_submits_the_job(create, funded, queued, alice, django_capture_on_commit_callbacks):
    funded.review_all = True
    funded.save()
    generation = create()

    with django_capture_on_commit_callbacks(execute=True):
        result = lifecycle.approve(generation, alice)

    assert result.status == Status.PENDING
    assert tasks.poll_due() == 1  # due at once: the poller, woken, submits it
    assert ("submit_generation", generation.id) in queued
    assert result.events.filter(data__actor="alice@example.org").exists()


def test_rejecting_releases_and_shows_the_reason(create, funded, alice, queued):
    funded.review_all = True
    funded.save()
    generation = create()

    result = lifecycle.reject(generation, alice, "Depicts a real person")

    assert (result.status, result.error_message) == (Status.REJECTED, "Depicts a real person")
    assert balance(funded).available == 1000
    assert queued == []


def test_only_jobs_awaiting_review_can_be_approved(create, alice):
    generation = create()

    with pytest.raises(NotAwaitingReview):
        lifecycle.approve(generation, alice)
