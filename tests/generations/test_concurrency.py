"""Races that only PostgreSQL row locks can referee: callbacks and polls settle a job once."""

import pytest
from django.utils import timezone

from billing import services as billing
from billing.models import LedgerEntry
from generations import followups, holds, lifecycle, tasks
from generations.models import Generation, GenerationChange, Status
from generations.providers.base import Update
from tests.conftest import postgres_only
from tests.factories import fund, make_generation
from tests.generations.conftest import PRICE
from tests.races import race

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SUCCESS = Update(state="succeeded", video_url="https://cdn.test/v.mp4")


@pytest.fixture
def running(tenant):
    fund(tenant, 1000)
    generation = make_generation(
        tenant, hold=PRICE, status=Status.RUNNING, provider="sandbox", provider_task_id="t-1"
    )
    return generation


def run_outbox():
    while change := GenerationChange.objects.filter(processed_at=None, claimed_until=None).first():
        followups.process_change(change.pk)


def test_duplicate_callbacks_and_a_poll_settle_once(running, tenant, fake_providers):
    apply = lambda source: lambda: lifecycle.provider_update(running.id, SUCCESS, source=source)

    _, errors = race(apply("callback"), apply("callback"), apply("poll"), apply("callback"), apply("poll"))

    assert errors == []
    assert running.changes.count() == 1  # one move into finishing, whoever won
    run_outbox()
    assert Generation.objects.get(pk=running.pk).status == Status.SUCCEEDED
    assert LedgerEntry.objects.filter(generation=running, kind="charge").count() == 1
    assert running.events.filter(kind="state").count() == 2  # → finishing → succeeded
    assert billing.balance(tenant).balance == 1000 - PRICE
    assert holds.reconcile(tenant) == []


def test_a_success_racing_a_failure_settles_one_way(running, tenant, fake_providers):
    failure = Update(state="failed", error_code="boom")

    _, errors = race(
        lambda: lifecycle.provider_update(running.id, SUCCESS, source="callback"),
        lambda: lifecycle.provider_update(running.id, failure, source="poll"),
    )

    assert all(isinstance(e, lifecycle.StaleUpdate) for e in errors)  # the loser is refused
    run_outbox()
    status, hold = Generation.objects.values_list("status", "hold_state").get(pk=running.pk)
    assert (status, hold) in [(Status.SUCCEEDED, "captured"), (Status.FAILED, "released")]
    assert holds.reconcile(tenant) == []


def test_parallel_sweeps_never_claim_the_same_row(tenant):
    for _ in range(20):
        make_generation(tenant, status=Status.QUEUED, provider="sandbox", next_poll_at=timezone.now())
    claims = [[], [], []]

    _, errors = race(*[lambda c=c: c.extend(tasks._claim_due(limit=20)) for c in claims])

    assert errors == []
    ids = [row[0] for claim in claims for row in claim]
    assert len(ids) == len(set(ids)) == 20


def test_the_in_flight_cap_holds_under_parallel_submissions(tenant):
    tenant.max_in_flight = 1
    tenant.save()
    jobs = [make_generation(tenant, status=Status.PENDING, provider="sandbox") for _ in range(4)]

    _, errors = race(*[lambda j=j: lifecycle.begin_submission(j.id) for j in jobs])

    assert errors == []
    assert Generation.objects.filter(submission_started_at__isnull=False).count() == 1
