"""When to ask a provider about a job: learned from how long recent jobs of the same kind took.

A status call is only worth making when the job can plausibly be done. So the schedule learns,
per provider, resolution and duration, how long the last LEARN_SAMPLES jobs took from
submission to their result (`Generation.result_at`), and how those results reached us:

- **Polling** (a provider without callbacks, or one whose callbacks stopped arriving: fewer
  than half of the recent results came by callback): the first poll comes just before the
  quickest recent jobs finished, then every GENERATION_POLL_CADENCE_SECONDS until well past the
  slowest (LATE_FACTOR x), then with the backoff below for a job that is unusually late.
- **Callbacks** that arrive: the callback is the news; the first poll is a safety net after
  the slowest recent jobs plus GENERATION_FIRST_POLL_WITH_CALLBACK_SECONDS, then the backoff.
- **Nothing learned yet** (fewer than LEARN_MIN_SAMPLES results): the backoff from the start,
  GENERATION_POLL_MIN_SECONDS doubling up to GENERATION_POLL_MAX_SECONDS (with callbacks, the
  first poll after GENERATION_FIRST_POLL_WITH_CALLBACK_SECONDS).

A job that reaches `finishing` or a terminal state is not polled again, so a callback stops
polling. The poller process (manage.py run_poller) sweeps due jobs; `wake()` makes it sweep at
once (PostgreSQL NOTIFY) when a job becomes due now, e.g. a new one to submit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_q.tasks import async_task

from generations import providers
from generations.models import Generation, Mirror, Status

LEARN_SAMPLES = 20
LEARN_MIN_SAMPLES = 3
LEARN_CACHE_SECONDS = 30.0
LATE_FACTOR = 2.0
WAKE_CHANNEL = "generations_due"
# How long a poll enqueued by poll_soon() has before the sweeper polls the job itself.
POLL_SOON_SAFETY_NET = timedelta(seconds=60)


@dataclass(frozen=True)
class Expected:
    """How long recent jobs of one kind took from submission to result, in seconds."""

    early: float  # the quickest tenth
    late: float  # the slowest tenth
    by_callback: float  # share of the results that came by callback


def expected(provider: str, resolution: str, duration: int) -> Expected | None:
    """What the latest results of this kind of job say, or None when there are too few.

    Cached in the process for LEARN_CACHE_SECONDS: every submission and poll asks.
    """
    key = (provider, resolution, duration)
    hit = _cache.get(key)
    if hit is not None and time.monotonic() - hit[0] < LEARN_CACHE_SECONDS:
        return hit[1]
    rows = list(
        Generation.objects.filter(
            provider=provider,
            resolution=resolution,
            duration=duration,
            result_at__isnull=False,
            submitted_at__isnull=False,
            mirror_state__in=[Mirror.COPYING, Mirror.COPIED, Mirror.FAILED],
        )
        .order_by("-result_at")
        .values_list("submitted_at", "result_at", "result_source")[:LEARN_SAMPLES]
    )
    value = None
    if len(rows) >= LEARN_MIN_SAMPLES:
        took = sorted((done - sent).total_seconds() for sent, done, _ in rows)
        tenth = max(1, len(took) // 10)
        value = Expected(
            early=took[tenth - 1],
            late=took[-tenth],
            by_callback=sum(source == "callback" for _, _, source in rows) / len(rows),
        )
    _cache[key] = (time.monotonic(), value)
    return value


_cache: dict[tuple, tuple[float, Expected | None]] = {}


def forget() -> None:
    """Drop what was learned (tests; a process sees new results within LEARN_CACHE_SECONDS)."""
    _cache.clear()


def _polls_on_cadence(generation: Generation, learned: Expected | None) -> bool:
    if learned is None:
        return False
    callbacks = providers.get_adapter(generation.provider).capabilities.callbacks
    return not callbacks or learned.by_callback < 0.5


def backoff(attempt: int) -> int:
    """Seconds before the next poll or retry: MIN doubling per attempt, capped at MAX."""
    return min(
        settings.GENERATION_POLL_MIN_SECONDS * 2 ** min(attempt, 16), settings.GENERATION_POLL_MAX_SECONDS
    )


def first_poll_at(generation: Generation, now: datetime | None = None) -> datetime:
    """When to ask about a job the provider has just accepted."""
    now = now or timezone.now()
    learned = expected(generation.provider, generation.resolution, generation.duration)
    if _polls_on_cadence(generation, learned):
        cadence = settings.GENERATION_POLL_CADENCE_SECONDS
        return now + timedelta(seconds=max(cadence, learned.early - cadence))
    if providers.get_adapter(generation.provider).capabilities.callbacks:
        grace = settings.GENERATION_FIRST_POLL_WITH_CALLBACK_SECONDS
        return now + timedelta(seconds=grace + (learned.late if learned else 0))
    return now + timedelta(seconds=settings.GENERATION_POLL_MIN_SECONDS)


def next_poll_at(generation: Generation, now: datetime | None = None) -> datetime:
    """When to ask again about a job a poll found still at work (poll_count polls so far)."""
    now = now or timezone.now()
    learned = expected(generation.provider, generation.resolution, generation.duration)
    if _polls_on_cadence(generation, learned) and generation.submitted_at:
        elapsed = (now - generation.submitted_at).total_seconds()
        if elapsed < learned.late * LATE_FACTOR:
            return now + timedelta(seconds=settings.GENERATION_POLL_CADENCE_SECONDS)
    return now + timedelta(seconds=backoff(generation.poll_count))


def schedule_next_poll(generation_id: str, retry_after: float | None = None) -> None:
    """Count a poll and set the next one, unless the job is past polling by now."""
    generation = Generation.objects.only(
        "poll_count", "provider", "resolution", "duration", "submitted_at"
    ).get(pk=generation_id)
    generation.poll_count += 1
    now = timezone.now()
    due = now + timedelta(seconds=retry_after) if retry_after else next_poll_at(generation, now)
    Generation.objects.filter(
        pk=generation_id, status__in=[Status.QUEUED, Status.RUNNING], mirror_state=Mirror.NONE
    ).update(poll_count=generation.poll_count, next_poll_at=due, updated_at=now)


def poll_soon(generation: Generation) -> None:
    """An unsigned callback is a hint: fetch the real status from the provider, off the request.

    The enqueued poll does the work; the due time is only the safety net for a lost enqueue.
    """
    Generation.objects.filter(
        pk=generation.pk, status__in=[Status.QUEUED, Status.RUNNING], mirror_state=Mirror.NONE
    ).update(next_poll_at=timezone.now() + POLL_SOON_SAFETY_NET)
    transaction.on_commit(lambda: async_task("generations.tasks.poll_generation", generation.id, "callback"))


def wake() -> None:
    """Make the poller sweep as soon as the current transaction commits (PostgreSQL NOTIFY is
    delivered on commit). Elsewhere the poller's next sweep comes within its interval."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"NOTIFY {WAKE_CHANNEL}")


def deadline_for(provider_slug: str) -> timedelta:
    hours = settings.GENERATION_DEADLINE_HOURS_BY_PROVIDER.get(
        provider_slug, settings.GENERATION_DEADLINE_HOURS
    )
    return timedelta(hours=hours)


def ambiguous_window(provider_slug: str) -> timedelta:
    """How long after a create call with no known outcome a callback may still adopt the task."""
    lease = timedelta(seconds=settings.GENERATION_SUBMIT_LEASE_SECONDS)
    if providers.get_adapter(provider_slug).capabilities.callbacks:
        return max(lease, timedelta(minutes=settings.GENERATION_AMBIGUOUS_GRACE_MINUTES))
    return lease
