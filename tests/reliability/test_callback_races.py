"""Duplicate and out-of-order provider callbacks racing polls: each job settles exactly once.

A callback is a wake-up: its thread here does what the view and then the worker do, the POST
and the status fetch it asks for (tasks.poll_generation with reason "callback")."""

import itertools
import time

import pytest
from django.test import Client
from django.utils import timezone

from generations import lifecycle, services, tasks
from generations.models import Generation, Status
from generations.providers import transport
from generations.providers.base import Update
from generations.providers.kie import sign
from generations.sandbox.models import SandboxTask
from generations.sandbox.protocols import PROTOCOLS
from generations.spec import GenerationSpec
from tests.races import race
from tests.reliability.conftest import assert_nothing_lost, funded, reliability, run_outbox

pytestmark = reliability


KEY = "reliability-signing-key"
# Each delivery is signed anew (its own timestamp, within Kie's window), as a provider's retries are.
_timestamps = itertools.count()


@pytest.fixture
def signed_kie(settings, sandbox):
    """Kie signs its callbacks; signed or not, each one only triggers a status fetch."""
    global _timestamps
    _timestamps = itertools.count(int(time.time()) - 200)
    settings.KIE_WEBHOOK_HMAC_KEY = KEY
    return sandbox


def create(tenant, prompt="A cat yawning at the camera"):
    return services.create_generation(tenant, spec=GenerationSpec(prompt=prompt), provider="kie")


def post_callback(generation_id, headers=None):
    """The provider's completion callback for the job's sandbox task, signed, posted once; then
    the status fetch it asked for, as the worker runs it. Returns the callback's HTTP status."""
    generation = Generation.objects.get(pk=generation_id)
    task = SandboxTask.objects.get(prompt=generation.prompt)
    body, _ = PROTOCOLS["kie"].callback(task, timezone.now())
    if headers is None:
        timestamp = str(next(_timestamps))
        headers = {"X-Webhook-Timestamp": timestamp, "X-Webhook-Signature": sign(KEY, task.id, timestamp)}
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    response = Client(HTTP_HOST="127.0.0.1").post(
        f"/callbacks/kie/{generation.callback_token}/", body, content_type="application/json", **extra
    )
    if response.status_code == 200:
        tasks.poll_generation(generation_id, "callback")
    return response.status_code


def state_changes_into(generation, status):
    return generation.events.filter(kind="state", data__to=status).count()


def test_duplicate_callbacks_racing_polls_and_a_stale_update_settle_once(customer, signed_kie, no_background):
    funded(customer, 1000)
    jobs = [create(customer, f"A cat yawning at the camera, take {n}") for n in range(3)]
    for job in jobs:
        assert tasks.submit_generation(job.id) == "submitted"

    stale = Update(state=Status.RUNNING)
    calls = []
    for job in jobs:
        calls += [lambda j=job.id: post_callback(j)] * 3
        calls += [lambda j=job.id: tasks.poll_generation(j)] * 2
        calls += [lambda j=job.id: lifecycle.provider_update(j, stale, source="poll").status]
    results, errors = race(*calls)

    assert errors == []
    assert [r for r in results if isinstance(r, int)] == [200] * 9  # each delivery is acknowledged
    run_outbox()  # the video is copied: succeeded
    for job in Generation.objects.filter(pk__in=[j.id for j in jobs]):
        assert job.status == Status.SUCCEEDED
        assert state_changes_into(job, Status.SUCCEEDED) == 1
    assert_nothing_lost(customer)


def test_a_callback_that_overtakes_the_create_answer_is_applied_once(customer, signed_kie, no_background):
    funded(customer, 1000)
    job = create(customer)
    generation, adapter = lifecycle.begin_submission(job.id)
    callback_url = services.callback_url_for(generation, adapter.slug)
    response = transport.send(adapter.build_create(generation.spec, callback_url))
    task_id = adapter.parse_create(response)  # the task exists upstream; we have not recorded it

    results, errors = race(
        lambda: lifecycle.submit_accepted(job.id, adapter.slug, task_id, {}).status,
        lambda: post_callback(job.id),
        lambda: post_callback(job.id),
        lambda: tasks.poll_generation(job.id),
    )

    assert errors == []
    assert [r for r in results if isinstance(r, int)] == [200, 200]
    run_outbox()  # the video is copied: succeeded
    job = Generation.objects.get(pk=job.id)
    assert job.provider_task_id == task_id
    assert job.status == Status.SUCCEEDED
    assert state_changes_into(job, Status.SUCCEEDED) == 1
    assert SandboxTask.objects.count() == 1  # never resubmitted
    assert_nothing_lost(customer)


def test_a_replayed_signature_racing_its_first_use_is_acted_on_once(customer, signed_kie, no_background):
    funded(customer, 1000)
    job = create(customer)
    assert tasks.submit_generation(job.id) == "submitted"
    task = SandboxTask.objects.get()
    timestamp = str(int(time.time()))
    headers = {"X-Webhook-Timestamp": timestamp, "X-Webhook-Signature": sign(KEY, task.id, timestamp)}

    results, errors = race(
        *[lambda: post_callback(job.id, headers)] * 4, lambda: tasks.poll_generation(job.id)
    )

    assert errors == []
    assert sorted(r for r in results if isinstance(r, int)) == [200, 409, 409, 409]
    job = Generation.objects.get(pk=job.id)
    assert job.events.filter(kind="callback").count() == 1
    run_outbox()
    job = Generation.objects.get(pk=job.id)
    assert job.status == Status.SUCCEEDED
    assert state_changes_into(job, Status.SUCCEEDED) == 1
    assert_nothing_lost(customer)
