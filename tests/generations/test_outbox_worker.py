"""The change outbox: each change is processed exactly once, whoever races for it, and a change
claimed by a worker that died is picked up again once its lease runs out."""

from datetime import timedelta

import pytest
from django.utils import timezone

from generations import followups
from generations.models import GenerationChange
from generations.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.conftest import postgres_only
from tests.races import race
from tests.webhooks.helpers import provide, running_generation

URL = "https://hooks.customer.example/seedance"


@pytest.fixture
def failed_change(tenant, queued):
    """A job the provider failed: its change into `failed` waits for the worker."""
    WebhookEndpoint.objects.create(tenant=tenant, url=URL)
    generation = running_generation(tenant)
    provide(generation, "failed", error_code="boom")
    return GenerationChange.objects.get(generation=generation)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_process_a_change_once(failed_change):
    outcomes, errors = race(*[lambda: followups.process_change(failed_change.pk)] * 4)

    assert errors == []
    assert sorted(outcomes) == ["1 deliveries", "not_claimable", "not_claimable", "not_claimable"]
    assert WebhookDelivery.objects.filter(event_type="generation.failed").count() == 1
    failed_change.refresh_from_db()
    assert failed_change.processed_at is not None


@pytest.mark.django_db
def test_a_change_claimed_by_a_worker_that_died_is_picked_up_after_its_lease(
    failed_change, queued, time_machine
):
    assert followups.claim([failed_change.pk]) == [failed_change.pk]  # a worker took it, then died
    assert followups.process_change(failed_change.pk) == "not_claimable"  # its lease holds
    assert followups.sweep() == 0

    time_machine.move_to(timezone.now() + followups.LEASE + timedelta(seconds=1))
    queued.clear()
    assert followups.sweep() == 1
    assert queued == [("process_change", failed_change.pk)]
    assert followups.process_change(failed_change.pk) == "1 deliveries"
    assert WebhookDelivery.objects.count() == 1
    assert followups.process_change(failed_change.pk) == "not_claimable"  # processed: never again


@pytest.mark.django_db
def test_a_change_waiting_in_a_long_queue_is_enqueued_once_not_on_every_sweep(
    failed_change, queued, time_machine
):
    """Thousands of results at once: the workers fall behind, and the poller sweeps every few
    seconds meanwhile. A change whose task waits in the queue is handed once more as maybe lost,
    then not again until a lease's time passes unclaimed; once claimed, a due retry goes at once."""
    queued.clear()
    time_machine.move_to(timezone.now() + followups.LOST_ENQUEUE + timedelta(seconds=1))
    assert followups.sweep() == 1  # its enqueue at commit may have been lost
    for _ in range(20):  # the poller's sweeps while the queue is long
        time_machine.shift(timedelta(seconds=2))
        assert followups.sweep() == 0
    assert queued == [("process_change", failed_change.pk)]

    time_machine.shift(followups.LEASE)  # still unclaimed a lease later: handed again
    assert followups.sweep() == 1

    assert followups.claim([failed_change.pk]) == [failed_change.pk]  # a worker takes it at last
    # and its follow-up asks to be retried now.
    GenerationChange.objects.filter(pk=failed_change.pk).update(claimed_until=timezone.now())
    assert followups.sweep() == 1  # the claim cleared the hand-off: the retry is not held back
    assert followups.process_change(failed_change.pk) == "1 deliveries"
    assert followups.sweep() == 0
