"""Scheduled webhook work (its schedule is in ops/schedules.py)."""

from __future__ import annotations

from django.utils import timezone

from generations.webhooks.models import WebhookDelivery
from generations.webhooks.outbox import enqueue

SWEEP_BATCH = 500


def sweep_deliveries() -> str:
    """Enqueue every due delivery: retries whose wait is over, and rows whose on-commit enqueue
    was lost to a crash. Claiming in `delivery.deliver` makes a double enqueue harmless."""
    ids = list(
        WebhookDelivery.objects.due(timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    enqueue(ids)
    return f"enqueued {len(ids)}"
