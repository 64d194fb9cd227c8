"""The reliability suite: load, races, provider faults and a killed worker, on PostgreSQL.

Every test ends with `assert_nothing_lost()`: each job is terminal or legitimately in flight,
the ledger sums to the balance, nothing was charged twice, and every terminal job has its
outbox row for the tenant's webhook endpoint.
"""

from __future__ import annotations

import pytest
from django.db.models import Count

from billing.models import LedgerEntry
from generations import followups, holds
from generations.models import FINISHING, OPEN, TERMINAL, Generation, GenerationChange, Status
from generations.webhooks.models import WebhookDelivery, WebhookEndpoint
from generations.webhooks.outbox import EVENT_FOR_STATUS
from tests.conftest import postgres_only
from tests.factories import fund

reliability = [postgres_only, pytest.mark.django_db(transaction=True)]

ENDPOINT_URL = "https://hooks.example.test/seedance"


@pytest.fixture
def no_background(monkeypatch):
    """django-q2 enqueues are recorded, not run: tests drive the tasks themselves. Webhook
    deliveries and result mirrors stay in the outbox (what `assert_nothing_lost` checks)."""
    enqueued: list[tuple] = []

    def record(func, *args, **kwargs):
        enqueued.append((func, *args))

    for target in (
        "generations.lifecycle.async_task",
        "generations.polling.async_task",
        "generations.tasks.async_task",
        "generations.webhooks.outbox.async_task",
    ):
        monkeypatch.setattr(target, record)
    return enqueued


@pytest.fixture
def customer(tenant):
    """Alice's tenant with a webhook endpoint, so every terminal job must leave an outbox row."""
    WebhookEndpoint.objects.create(tenant=tenant, url=ENDPOINT_URL)
    return tenant


def funded(tenant, credits: int):
    fund(tenant, credits)
    return tenant


def run_outbox() -> None:
    """What the outbox worker does next: copy results, write deliveries, until nothing waits."""
    while change := GenerationChange.objects.filter(processed_at=None, claimed_until=None).first():
        followups.process_change(change.pk)


def assert_nothing_lost(tenant) -> None:
    """Every job accounted for; then the outbox worker runs over what the test left, and each
    terminal job must end with exactly one delivery for the endpoint."""
    jobs = list(Generation.objects.for_tenant(tenant))
    waiting = GenerationChange.objects.filter(processed_at=None)
    for job in jobs:
        if job.stage == FINISHING:
            # The provider is done; the outbox worker copies the video (a change row waits).
            assert waiting.filter(generation=job, to_stage=FINISHING).exists(), f"{job.id} has no change"
        elif job.status in OPEN:
            # In flight legitimately: something (the poller) will look at it again.
            assert job.next_poll_at is not None, f"{job.id} is {job.status} with nothing scheduled"
        else:
            assert job.status in TERMINAL
            assert GenerationChange.objects.filter(generation=job, to_stage=job.status).count() == 1
    for change_id in waiting.exclude(to_stage=FINISHING).values_list("pk", flat=True):
        followups.process_change(change_id)
    assert holds.reconcile(tenant) == []
    charges = LedgerEntry.objects.for_tenant(tenant).filter(kind="charge")
    assert not charges.values("generation").annotate(n=Count("id")).filter(n__gt=1).exists()
    for job in jobs:
        expected = {Status.SUCCEEDED: "captured"}.get(job.status, "released" if job.is_terminal else "held")
        assert job.hold_state == expected, f"{job.id} is {job.status} but its hold is {job.hold_state}"
        assert charges.filter(generation=job).count() == (1 if job.status == Status.SUCCEEDED else 0)
    endpoint = WebhookEndpoint.objects.filter(tenant=tenant, url__gt="").first()
    if endpoint is not None:
        for job in jobs:
            if job.is_terminal:
                rows = WebhookDelivery.objects.filter(
                    generation=job,
                    endpoint=endpoint,
                    target="endpoint",
                    event_type=EVENT_FOR_STATUS[job.status],
                )
                assert rows.count() == 1, f"{job.id} ({job.status}) has {rows.count()} outbox rows"
