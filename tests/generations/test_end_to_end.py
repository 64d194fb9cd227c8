"""The whole lifecycle against the in-process sandbox: create, submit, callback or poll, settle."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_q.conf import Conf

from billing.models import LedgerEntry
from billing.services import balance
from generations import tasks
from generations.holds import reconcile
from generations.models import Generation, Status
from generations.services import create_generation
from generations.spec import GenerationSpec
from tests.generations.conftest import reload


@pytest.fixture
def start(funded, sandbox, django_capture_on_commit_callbacks):
    def create(prompt="A cat yawning at the camera", provider="sandbox"):
        with django_capture_on_commit_callbacks(execute=True):
            generation = create_generation(funded, spec=GenerationSpec(prompt=prompt), provider=provider)
            tasks.poll_due()  # the poller's next sweep queues the submission
        return generation

    return create


def test_a_job_runs_to_success_through_the_worker_and_the_callback(
    start, sandbox, funded, monkeypatch, django_capture_on_commit_callbacks
):
    # The real django-q2 enqueue, run inline: proves the task paths and on-commit wiring.
    monkeypatch.setattr(Conf, "SYNC", True)
    generation = start()
    assert reload(generation).status == Status.QUEUED
    quote = generation.quoted

    with django_capture_on_commit_callbacks(execute=True):
        assert sandbox.deliver_due_callbacks() == 1  # -> our callback view -> status fetch

    generation = reload(generation)
    assert generation.status == Status.SUCCEEDED
    assert generation.video_url.endswith(".mp4")
    assert generation.charged == quote
    assert balance(funded).balance == 1000 - quote
    assert LedgerEntry.objects.filter(generation=generation, kind="charge").count() == 1
    assert reconcile(funded) == []
    kinds = list(generation.events.values_list("kind", flat=True))
    assert {"state", "provider_call", "callback", "billing"} <= set(kinds)


@pytest.mark.parametrize("provider", ["auto", "kie", "ark", "aizfw", "jiekou"])
def test_a_job_runs_to_success_by_polling(start, provider, funded, queued, run_queued, time_machine):
    generation = start(prompt="A cat yawning [sandbox:nocallback]", provider=provider)
    run_queued()
    assert reload(generation).status == Status.QUEUED

    time_machine.move_to(timezone.now() + timedelta(minutes=2), tick=False)
    tasks.poll_due()
    run_queued()

    generation = reload(generation)
    assert generation.status == Status.SUCCEEDED, generation.events.values_list("message", flat=True)
    assert generation.charged == generation.quoted
    assert balance(funded).held == 0
    assert reconcile(funded) == []


def test_a_failing_job_is_released(
    start, sandbox, funded, queued, run_queued, django_capture_on_commit_callbacks
):
    generation = start(prompt="A cat yawning [sandbox:fail]")
    run_queued()

    with django_capture_on_commit_callbacks(execute=True):
        sandbox.deliver_due_callbacks()
    run_queued()

    generation = reload(generation)
    assert generation.status == Status.FAILED
    assert generation.error_code or generation.error_message
    assert balance(funded).available == 1000
    assert not LedgerEntry.objects.filter(generation=generation, kind="charge").exists()
    assert reconcile(funded) == []


def test_a_create_timeout_is_not_resubmitted_elsewhere(start, funded, queued, run_queued, sandbox):
    generation = start(prompt="A cat yawning [sandbox:timeout]", provider="auto")

    run_queued()

    generation = reload(generation)
    assert (generation.status, generation.provider_task_id) == (Status.PENDING, "")
    assert generation.events.filter(message__startswith="Outcome unknown").exists()
    assert balance(funded).held == generation.quoted


def test_a_timed_out_create_is_adopted_when_the_providers_callback_names_the_task(
    start, funded, queued, run_queued, sandbox, django_capture_on_commit_callbacks
):
    generation = start(prompt="A cat yawning [sandbox:timeout]", provider="sandbox")
    run_queued()

    with django_capture_on_commit_callbacks(execute=True):
        delivered = sandbox.deliver_due_callbacks()
    run_queued()

    generation = reload(generation)
    assert delivered == 1
    assert generation.provider_task_id
    assert generation.status == Status.SUCCEEDED
    assert generation.charged == generation.quoted
    assert reconcile(funded) == []


def test_the_demo_starts_a_sample_generation_that_succeeds(
    sandbox, queued, run_queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo", stdout=io.StringIO())
    generation = Generation.objects.get(tenant__slug="demo")
    assert generation.status == Status.PENDING

    run_queued()
    with django_capture_on_commit_callbacks(execute=True):
        sandbox.deliver_due_callbacks()
    run_queued()

    assert reload(generation).status == Status.SUCCEEDED
