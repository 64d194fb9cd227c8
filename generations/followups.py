"""The outbox worker: what follows each change of a generation's stage.

generations.lifecycle.transition() writes a GenerationChange in the transaction that moves the
generation and enqueues `process_change()` when it commits. A worker claims the change and
does what follows it:

- into `finishing`: copy the result (generations.results.mirror), which then moves the
  generation to `succeeded` or `failed`; a transient failure leaves the change unprocessed
  with its lease set to the time of the next attempt. Once the job has succeeded, a poster
  frame is made from our copy (generations.posters; best effort, after the success is
  committed, so it never holds the job back);
- every other change: the customer's webhook deliveries and Kie-compatible callbacks
  (generations.webhooks.outbox), written in the transaction that marks the change processed,
  so each change is turned into deliveries exactly once.

Claims are leases (`claimed_until`): `claim()` takes rows with SKIP LOCKED on PostgreSQL, or a
conditional UPDATE elsewhere, so two workers never process the same change; a worker that
dies leaves its lease to run out, and `sweep()` (run by the poller every few seconds) hands
the change to a worker again. The sweep notes when it handed a change (`handed_at`, cleared by
the claim) and hands it again only after a lease's time unclaimed, so when the queue is long
(thousands of results at once) each waiting change is enqueued once, not once per sweep.

This module depends on the lifecycle, results and webhooks; none of them imports it.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from generations import posters, results
from generations.lifecycle import enqueue_change
from generations.models import FINISHING, GenerationChange
from generations.webhooks import outbox

log = logging.getLogger(__name__)

# Longer than any follow-up takes (a video download is bounded by RESULT_DOWNLOAD_TIMEOUT_SECONDS).
LEASE = timedelta(minutes=5)
# An unclaimed change this old lost its on-commit enqueue (the process died right after commit).
LOST_ENQUEUE = timedelta(seconds=10)
SWEEP_BATCH = 200


def claim(change_ids: list[int] | None = None, limit: int = 1) -> list[int]:
    """Take up to `limit` claimable changes (of `change_ids`, when given); returns their ids.

    Claimable: unprocessed, and never claimed or with its lease run out.
    """
    now = timezone.now()
    claimable = GenerationChange.objects.filter(processed_at__isnull=True).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
    )
    if change_ids is not None:
        claimable = claimable.filter(pk__in=change_ids)
    claimable = claimable.order_by("created_at", "pk")
    if connection.features.has_select_for_update_skip_locked:
        with transaction.atomic():
            ids = list(claimable.select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit])
            GenerationChange.objects.filter(pk__in=ids).update(
                claimed_until=now + LEASE, attempts=F("attempts") + 1, handed_at=None
            )
        return ids
    # No SKIP LOCKED (SQLite): claim each row with a conditional UPDATE on the lease it had.
    claimed = []
    for pk, lease in claimable.values_list("pk", "claimed_until")[:limit]:
        won = GenerationChange.objects.filter(pk=pk, processed_at__isnull=True, claimed_until=lease).update(
            claimed_until=now + LEASE, attempts=F("attempts") + 1, handed_at=None
        )
        if won:
            claimed.append(pk)
    return claimed


def process_change(change_id: int) -> str:
    """django-q task: claim one change and do what follows it. Returns a short outcome."""
    if not claim([change_id]):
        return "not_claimable"  # processed, or another worker holds it
    return _follow_up(GenerationChange.objects.select_related("generation").get(pk=change_id))


def _follow_up(change: GenerationChange) -> str:
    if change.to_stage == FINISHING:
        retry_in = results.mirror(change.generation_id, attempt=change.attempts)
        if retry_in is not None:
            # Not processed: the lease now says when the next attempt is due (sweep()).
            GenerationChange.objects.filter(pk=change.pk).update(claimed_until=timezone.now() + retry_in)
            return "retrying"
        posters.make_poster(change.generation_id)  # never raises; no poster is only logged
        GenerationChange.objects.filter(pk=change.pk).update(processed_at=timezone.now())
        return "mirrored"
    with transaction.atomic():
        sent = outbox.record_change(change)
        GenerationChange.objects.filter(pk=change.pk).update(processed_at=timezone.now())
    return f"{sent} deliveries"


def sweep() -> int:
    """Hand every change that waits for a worker to one: leases run out (a dead worker, a
    retry that is due) and enqueues lost at commit, unless the sweep handed it already less
    than a lease ago and no worker has claimed it since (it waits in the queue). Returns how
    many were enqueued."""
    now = timezone.now()
    waiting = GenerationChange.objects.filter(
        Q(claimed_until__lte=now) | Q(claimed_until__isnull=True, created_at__lte=now - LOST_ENQUEUE),
        Q(handed_at__isnull=True) | Q(handed_at__lte=now - LEASE),
        processed_at__isnull=True,
    )
    ids = list(waiting.order_by("created_at").values_list("pk", flat=True)[:SWEEP_BATCH])
    # Noted before the enqueue: a worker that claims at once clears it again.
    GenerationChange.objects.filter(pk__in=ids).update(handed_at=now)
    for change_id in ids:
        enqueue_change(change_id)
    return len(ids)
