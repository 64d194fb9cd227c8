"""django-q2 tasks of the lifecycle. They take ids, do the network calls, and leave every state
decision to generations.lifecycle. They never sleep: a retry is a `next_poll_at` in the future,
which `poll_due()` (run by `manage.py run_poller`, at once when woken) picks up.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_q.tasks import async_task

from generations import lifecycle, polling, providers, services
from generations.calls import describe_request, describe_response
from generations.models import Generation, GenerationEvent, Mirror, Status
from generations.providers import health, transport
from generations.providers.base import ProviderError
from seedance_site.errors import DomainError

log = logging.getLogger(__name__)

OPEN_FOR_POLLER = [Status.PENDING, Status.QUEUED, Status.RUNNING]
# A claimed row is hidden from other sweepers this long; the task it starts reschedules it sooner.
CLAIM_LEASE = timedelta(seconds=60)


def submit_generation(generation_id: str) -> str:
    """Send one pending job to its provider. Returns a short outcome for the task log."""
    claim = lifecycle.begin_submission(generation_id)
    if claim is None:
        return "skipped"
    generation, adapter = claim
    callback_url = (
        services.callback_url_for(generation, adapter.slug) if adapter.capabilities.callbacks else None
    )
    call: dict = {}
    try:
        request = adapter.build_create(generation.spec, callback_url)
        call = describe_request(request)
        response = transport.send(request)
        call.update(describe_response(response))
        task_id = adapter.parse_create(response)
    except ProviderError as error:
        health.record(adapter.slug, ok=False)
        lifecycle.submit_failed(generation_id, error, call)
        return error.code
    except DomainError as error:
        # The adapter refused the spec (its capabilities changed since the quote): nothing was sent.
        lifecycle.submit_failed(generation_id, ProviderError(error.message, code=error.code), call)
        return error.code
    health.record(adapter.slug, ok=True)
    generation = lifecycle.submit_accepted(generation_id, adapter.slug, task_id, call)
    if generation.is_terminal:
        lifecycle.cancel_at_provider(generation)  # cancelled while the create call was in flight
        return "cancelled"
    return "submitted"


def poll_generation(generation_id: str, reason: str = "poll") -> str:
    """Ask the provider where a submitted job stands, and apply the answer.

    `reason` is "callback" when a provider callback asked for this poll: the result then
    counts as delivered by callback (generations.polling learns from it).
    """
    generation = Generation.objects.get(pk=generation_id)
    if generation.status not in (Status.QUEUED, Status.RUNNING) or generation.mirror_state != Mirror.NONE:
        return generation.stage
    if generation.deadline and timezone.now() >= generation.deadline:
        return lifecycle.expire(generation_id).status
    adapter = providers.get_adapter(generation.provider)
    request = adapter.build_status(generation.provider_task_id)
    asked_at = timezone.now()
    try:
        response = transport.send(request)
        update = adapter.parse_status(response)
    except ProviderError as error:
        # Polling errors never end a job: the deadline does, if the provider stays away.
        _record_poll_problem(
            generation, f"Status check at {adapter.slug} failed: {error.message}", describe_request(request)
        )
        polling.schedule_next_poll(generation_id, retry_after=error.retry_after)
        return "error"
    if update.state not in lifecycle.PROVIDER_STATES:
        _record_poll_problem(
            generation,
            f"{adapter.slug} reported an unknown state {update.state!r}; still polling",
            {"raw": update.raw},
        )
    try:
        generation = lifecycle.provider_update(generation_id, update, source=reason)
    except lifecycle.StaleUpdate:
        return "stale"  # a callback or another poll moved it first
    # Only a job still queued or running is rescheduled: it was at work when we asked.
    polling.schedule_next_poll(generation_id, still_running_at=asked_at)
    return generation.stage


def _record_poll_problem(generation: Generation, message: str, call: dict | None = None) -> None:
    """Timeline entry for a poll that failed or returned a state we do not know; never terminal."""
    GenerationEvent.record(generation, GenerationEvent.Kind.PROVIDER_CALL, message, call)


def poll_due(limit: int | None = None) -> int:
    """Claim the open jobs whose `next_poll_at` has passed and hand each to the right task.

    Pending jobs get a (re)submission or, when a submission was lost, its resolution; submitted
    ones get a status poll, or expire past their deadline. Returns how many rows were claimed.
    """
    rows = _claim_due(limit or settings.GENERATION_POLL_BATCH)
    now = timezone.now()
    for generation_id, status, marker, deadline in rows:
        if status == Status.PENDING and marker is not None:
            lifecycle.submission_lost(generation_id)
        elif status == Status.PENDING and deadline and now >= deadline:
            lifecycle.expire(generation_id)  # waited for a slot (or retries) the whole time
        elif status == Status.PENDING:
            async_task("generations.tasks.submit_generation", generation_id)
        else:
            async_task("generations.tasks.poll_generation", generation_id)
    return len(rows)


def _claim_due(limit: int) -> list[tuple]:
    """Due rows, each pushed CLAIM_LEASE into the future so no other sweeper takes it too."""
    now = timezone.now()
    due = Generation.objects.filter(status__in=OPEN_FOR_POLLER, next_poll_at__lte=now).order_by(
        "next_poll_at"
    )
    fields = ("id", "status", "submission_started_at", "deadline")
    if connection.features.has_select_for_update_skip_locked:
        with transaction.atomic():
            rows = list(due.select_for_update(skip_locked=True).values_list(*fields)[:limit])
            Generation.objects.filter(pk__in=[row[0] for row in rows]).update(next_poll_at=now + CLAIM_LEASE)
        return rows
    # No SKIP LOCKED (SQLite): claim each row with a conditional UPDATE, healthchecks-style;
    # a row another sweeper claimed first no longer matches and is skipped.
    claimed = []
    for row in due.values_list(*fields, "next_poll_at")[:limit]:
        if Generation.objects.filter(pk=row[0], next_poll_at=row[-1]).update(next_poll_at=now + CLAIM_LEASE):
            claimed.append(row[:-1])
    return claimed
