"""Provider 5xx, 429, timeouts and malformed bodies (the sandbox's fault markers), all at once:
every job ends where the policy says, and nothing is lost or charged twice."""

from datetime import timedelta

import pytest
from django.utils import timezone

from generations import followups, tasks
from generations.models import Generation, Status
from generations.providers import transport
from generations.sandbox.callbacks import deliver_due_callbacks
from generations.sandbox.models import SandboxTask
from generations.services import create_generation
from generations.spec import GenerationSpec
from tests.reliability.conftest import assert_nothing_lost, funded, reliability

pytestmark = reliability

# marker -> where the job must end
EXPECTED = {
    "5xx": Status.SUCCEEDED,  # the create call is retried after the 500
    "429": Status.SUCCEEDED,  # ... and after Retry-After
    "timeout": Status.SUCCEEDED,  # no answer, but the provider's callback reveals the task
    "nocallback": Status.SUCCEEDED,  # found by polling alone
    "slow": Status.SUCCEEDED,
    "fail": Status.FAILED,
    "expire": Status.EXPIRED,  # the provider gave up
    "malformed": Status.EXPIRED,  # unreadable status answers never end a job; the deadline does
}


def run_enqueued(enqueued):
    """Run the lifecycle's tasks like a worker would, including those they enqueue."""
    while enqueued:
        func, *args = enqueued.pop(0)
        if func.startswith("generations.tasks."):
            getattr(tasks, func.rsplit(".", 1)[-1])(*args)
        elif func == "generations.followups.process_change":
            followups.process_change(*args)


def test_faulty_providers_leave_every_job_settled_once(
    customer, sandbox, no_background, monkeypatch, time_machine
):
    monkeypatch.setattr(transport, "sleep", lambda seconds: None)  # Retry-After and backoff
    funded(customer, 10_000)
    time_machine.move_to(timezone.now(), tick=False)
    jobs = {
        marker: create_generation(
            customer, spec=GenerationSpec(prompt=f"A cat yawning [sandbox:{marker}]"), provider="sandbox"
        )
        for marker in EXPECTED
    }

    # Two simulated days: minutes at first (polls, callbacks), then hours (the deadline).
    steps = [timedelta(minutes=1)] * 10 + [timedelta(hours=6)] * 9
    for step in steps:
        run_enqueued(no_background)
        deliver_due_callbacks()
        run_enqueued(no_background)
        time_machine.shift(step)
        tasks.poll_due()
        run_enqueued(no_background)

    ended = {marker: Generation.objects.get(pk=job.pk).status for marker, job in jobs.items()}
    assert ended == EXPECTED
    # The timed-out create was never sent twice: one provider task per prompt.
    assert SandboxTask.objects.filter(prompt__contains="[sandbox:timeout]").count() == 1
    assert_nothing_lost(customer)


@pytest.mark.parametrize("marker", ["5xx", "429"])
def test_a_provider_that_keeps_failing_fails_the_job_and_releases_it(
    marker, customer, sandbox, no_background, monkeypatch, settings
):
    settings.PROVIDER_HTTP_MAX_ATTEMPTS = 1  # every create attempt meets the fault
    settings.GENERATION_SUBMIT_MAX_ATTEMPTS = 1
    monkeypatch.setattr(transport, "sleep", lambda seconds: None)
    funded(customer, 1000)
    job = create_generation(
        customer, spec=GenerationSpec(prompt=f"A cat yawning [sandbox:{marker}]"), provider="sandbox"
    )

    tasks.poll_due()
    run_enqueued(no_background)

    job = Generation.objects.get(pk=job.pk)
    assert (job.status, job.error_code) == (Status.FAILED, "provider_unavailable")
    assert_nothing_lost(customer)
