"""When to ask a provider about a job: learned from how long recent jobs of the same kind took.

A status call is only worth making when the job can plausibly be done. So the schedule learns,
per provider, resolution and duration, how long the last LEARN_SAMPLES jobs took from
submission to their result, and how those results reached us. What each result says about
how long its job took is a range, never the moment we happened to notice it:

- the provider's **own run time** where its status reports one (`provider_run_seconds`, from
  its creation and completion times): exact, whoever noticed the result and when;
- a result that came by **callback**: the provider called when it finished, so `result_at`;
- a result found by a **poll**: the job was still at work when the previous status call went
  out (`Generation.last_running_at`) and done when `result_at` was recorded; it took at least
  the first. A poll that ran late moves only the upper end, so learning never drifts later;
- found by the **first** poll: done by `result_at`, and taken to have finished within the
  last cadence tick before it.

Ranges wider than two cadence ticks (found by the backoff, before anything was learned) are
left out once enough narrow ones exist. The first poll comes when the quickest tenth of the
jobs was at the earliest done (the low end of their ranges), so most jobs are seen within a
tick or two of finishing:

- **Polling** (a provider without callbacks, or one whose callbacks stopped arriving: fewer
  than half of the recent results came by callback): that first poll, then every
  GENERATION_POLL_CADENCE_SECONDS until well past the slowest tenth (LATE_FACTOR x, at the
  high end of their ranges), then with the backoff below for a job that is unusually late.
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
# A result's range wider than this many cadence ticks says little about when its job finished.
NARROW_TICKS = 2
WAKE_CHANNEL = "generations_due"
# How long a poll enqueued by poll_soon() has before the sweeper polls the job itself.
POLL_SOON_SAFETY_NET = timedelta(seconds=60)


@dataclass(frozen=True)
class Expected:
    """How long recent jobs of one kind took from submission to result, in seconds."""

    early: float  # the quickest tenth, at the earliest they can have been done
    late: float  # the slowest tenth, at the latest
    by_callback: float  # share of the results that came by callback


@dataclass(frozen=True)
class Took:
    """How long one job took at the provider, as a range of seconds after its submission."""

    low: float
    high: float


def took(
    submitted_at: datetime,
    result_at: datetime,
    source: str,
    last_running_at: datetime | None,
    run_seconds: float | None,
    cadence: float,
) -> Took:
    """What one result says about how long its job took (see the module's docstring)."""
    high = (result_at - submitted_at).total_seconds()
    if run_seconds is not None:
        return Took(min(high, run_seconds), min(high, run_seconds))
    if source == "callback":
        return Took(high, high)
    if last_running_at is not None and last_running_at > submitted_at:
        return Took(min(high, (last_running_at - submitted_at).total_seconds()), high)
    return Took(max(0.0, high - cadence), high)


def learn(samples: list[Took], by_callback: float, cadence: float) -> Expected | None:
    """The schedule's figures from recent results, or None when there are too few."""
    if len(samples) < LEARN_MIN_SAMPLES:
        return None
    narrow = [s for s in samples if s.high - s.low <= NARROW_TICKS * cadence]
    if len(narrow) >= LEARN_MIN_SAMPLES:
        samples = narrow
    tenth = max(1, len(samples) // 10)
    return Expected(
        early=sorted(s.low for s in samples)[tenth - 1],
        late=sorted(s.high for s in samples)[-tenth],
        by_callback=by_callback,
    )


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
        .values_list("submitted_at", "result_at", "result_source", "last_running_at", "provider_run_seconds")[
            :LEARN_SAMPLES
        ]
    )
    cadence = settings.GENERATION_POLL_CADENCE_SECONDS
    value = None
    if rows:
        value = learn(
            [took(*row, cadence) for row in rows],
            by_callback=sum(row[2] == "callback" for row in rows) / len(rows),
            cadence=cadence,
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
        return now + timedelta(seconds=max(cadence, learned.early))
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


def schedule_next_poll(
    generation_id: str, retry_after: float | None = None, still_running_at: datetime | None = None
) -> None:
    """Count a poll and set the next one, unless the job is past polling by now.

    `still_running_at`: when the status call that found the job still at work was sent.
    """
    generation = Generation.objects.only(
        "poll_count", "provider", "resolution", "duration", "submitted_at"
    ).get(pk=generation_id)
    generation.poll_count += 1
    now = timezone.now()
    due = now + timedelta(seconds=retry_after) if retry_after else next_poll_at(generation, now)
    fields = {"poll_count": generation.poll_count, "next_poll_at": due, "updated_at": now}
    if still_running_at is not None:
        fields["last_running_at"] = still_running_at
    Generation.objects.filter(
        pk=generation_id, status__in=[Status.QUEUED, Status.RUNNING], mirror_state=Mirror.NONE
    ).update(**fields)


def poll_soon(generation: Generation) -> None:
    """A callback (signed or not) is a hint: fetch the real status from the provider, off the request.

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
