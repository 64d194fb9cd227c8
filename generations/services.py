"""The generation lifecycle: create, the one function that moves state, cancel, review decisions.

Every state change, whoever asks for it (poll, callback, cancel, expiry, moderation, the
submission task), ends in `_move()` under a row lock taken by `apply_update()` or one of the
small `record_*` helpers below, so settlement, the timeline and the `generation_changed`
signal happen in exactly one place. Network calls never run while a row is locked.
docs/lifecycle.md describes the policies.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django_q.tasks import async_task

from accounts.models import Tenant
from billing import services as billing
from generations import files, moderation, providers, routing
from generations.models import IN_FLIGHT, Generation, GenerationEvent, Status
from generations.providers import transport
from generations.providers.base import Adapter, ProviderError, State, Update
from generations.signals import generation_changed
from generations.spec import GenerationSpec
from seedance_site.errors import DomainError

log = logging.getLogger(__name__)
Event = GenerationEvent.Kind

# Where each status may go. Anything else is a stale, duplicate or backward update and is
# ignored; terminal states have no way out. Money moves on the way into a terminal state:
# capture into `succeeded`, release into every other one.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.AWAITING_REVIEW: frozenset({Status.PENDING, Status.REJECTED, Status.CANCELLED, Status.EXPIRED}),
    Status.PENDING: frozenset(
        {Status.QUEUED, Status.RUNNING, Status.SUCCEEDED, Status.FAILED, Status.CANCELLED, Status.EXPIRED}
    ),
    Status.QUEUED: frozenset(
        {Status.RUNNING, Status.SUCCEEDED, Status.FAILED, Status.CANCELLED, Status.EXPIRED}
    ),
    Status.RUNNING: frozenset({Status.SUCCEEDED, Status.FAILED, Status.CANCELLED, Status.EXPIRED}),
}
PROVIDER_STATES = frozenset({State.QUEUED, State.RUNNING, *State.TERMINAL})


class NotCancellable(DomainError):
    code = "not_cancellable"
    http_status = 409


class NotAwaitingReview(DomainError):
    code = "not_awaiting_review"
    http_status = 409


# --- Create ---------------------------------------------------------------------------------


def create_generation(
    tenant: Tenant,
    *,
    spec: GenerationSpec,
    provider: str = "auto",
    user=None,
    api_key=None,
    callback_url: str = "",
) -> Generation:
    """Validate, quote, then insert the row holding its price, in one transaction.

    Raises TenantSuspended (403), SpecError (422), PromptBlocked (422), InsufficientCredits
    (402) or KeySpendLimit (403); a refusal writes nothing.
    """
    tenant.ensure_can_create_work()
    spec.check()
    adapter = routing.choose(spec, requested=provider)
    needs_review = moderation.screen(tenant, spec)
    quote = billing.quote(spec, adapter.slug)
    now = timezone.now()
    # Images in the form the provider takes (our hosted copy where it takes URLs only).
    spec, hosted = files.for_provider(spec, adapter, tenant, until=now + deadline_for(adapter.slug))
    generation = Generation(
        tenant=tenant,
        created_by_user=user,
        created_by_key=api_key,
        requested_provider=provider,
        provider=adapter.slug,
        callback_url=callback_url or "",
        quoted=quote.credits,
        status=Status.AWAITING_REVIEW if needs_review else Status.PENDING,
        deadline=now + deadline_for(adapter.slug),
        # Due at once: the poller's next sweep hands it to a worker (submit_generation). The
        # row is its own outbox, so the request writes no task row (docs/lifecycle.md).
        next_poll_at=None if needs_review else now,
        created_at=now,
        **_spec_fields(spec),
    )
    # The row is the whole record of the creation: no timeline event (Generation.timeline()).
    try:
        with transaction.atomic():
            billing.hold(generation, quote.credits)  # inserts the row, holding its price
    except BaseException:
        files.discard(hosted)  # refused: no copy stays behind
        raise
    return generation


def _spec_fields(spec: GenerationSpec) -> dict:
    fields = spec.as_dict()
    fields["first_frame"] = fields["first_frame"] or ""
    fields["last_frame"] = fields["last_frame"] or ""
    return fields


def deadline_for(provider_slug: str) -> timedelta:
    hours = settings.GENERATION_DEADLINE_HOURS_BY_PROVIDER.get(
        provider_slug, settings.GENERATION_DEADLINE_HOURS
    )
    return timedelta(hours=hours)


def callback_url_for(generation: Generation, provider_slug: str) -> str:
    path = reverse("callbacks:provider", args=[provider_slug, generation.callback_token])
    return f"{settings.SITE_URL}{path}"


# --- The one way state moves -------------------------------------------------------------------


def apply_update(generation_id: str, update: Update, *, source: str, actor=None) -> Generation:
    """Move a generation according to `update`, if that is a move forward; else change nothing.

    Locks the row, so racing polls and callbacks serialise; a terminal job never changes again
    and money settles exactly once, on the way into a terminal state.
    """
    with transaction.atomic():
        generation = Generation.objects.select_for_update().get(pk=generation_id)
        if update.state not in TRANSITIONS.get(generation.status, ()):
            if update.state != generation.status:
                log.info(
                    "%s: ignored %s update to %s from %s",
                    generation_id,
                    generation.status,
                    update.state,
                    source,
                )
            return generation
        _move(generation, update, source=source, actor=actor)
    return generation


def _move(generation: Generation, update: Update, *, source: str, actor=None) -> None:
    """Apply an allowed transition to a locked row: fields, timeline, settlement, signal."""
    if update.state == Status.SUCCEEDED and not update.video_url:
        # The customer pays for a video they receive; a "success" without one is a failure.
        update = replace(
            update,
            state=Status.FAILED,
            error_code="no_video",
            error_message="The provider reported success but returned no video.",
        )
    previous = generation.status
    now = timezone.now()
    generation.status = update.state
    if update.raw is not None:
        generation.provider_payload = update.raw
    if update.state == Status.QUEUED and generation.submitted_at is None:
        generation.submitted_at = now
    if update.state == Status.RUNNING and generation.started_at is None:
        generation.started_at = now
    if generation.is_terminal:
        generation.finished_at = now
        generation.next_poll_at = None
        generation.submission_started_at = None
        generation.video_url = update.video_url or ""
        generation.last_frame_url = update.last_frame_url or ""
        generation.error_code = update.error_code or ""
        generation.error_message = update.error_message or ""
        if update.duration_s:
            generation.actual_duration = update.duration_s
    generation.save()
    data = {"from": previous, "to": generation.status, "source": source}
    if actor is not None:
        data["actor"] = str(actor)
    if generation.error_code:
        data["error"] = {"code": generation.error_code, "message": generation.error_message}
    GenerationEvent.record(generation, Event.STATE, f"{previous} → {generation.status} ({source})", data)
    if generation.is_terminal:
        _settle(generation)
    generation_changed.send(sender=Generation, generation=generation, previous_status=previous)


def _settle(generation: Generation) -> None:
    """Capture on success, release otherwise. Billing makes each idempotent per generation and
    keeps generation.held/charged up to date."""
    held = generation.held
    if generation.status == Status.SUCCEEDED:
        billing.capture(generation, actual_amount=actual_price(generation))
        message = f"Charged {generation.charged} credits"
        if generation.charged != held:
            message += f" of {held} held: the video is {generation.actual_duration} s"
    else:
        billing.release(generation)
        message = f"Released {held} held credits; nothing charged"
    GenerationEvent.record(generation, Event.BILLING, message, {"held": held, "charged": generation.charged})


def actual_price(generation: Generation) -> int | None:
    """The price of the duration the model chose, for an auto-duration job; None means the quote.

    billing.capture never charges more than was held: the hold is the most the customer agreed to.
    """
    if not (generation.spec.is_auto_duration and generation.actual_duration):
        return None
    spec = replace(generation.spec, duration=generation.actual_duration)
    return billing.quote(spec, generation.provider).credits


# --- Submission bookkeeping (the network calls are in tasks.submit_generation) ---------------------


def begin_submission(generation_id: str) -> tuple[Generation, Adapter] | None:
    """Claim a pending job for one create call, or None when there is nothing to submit now.

    Commits the submission marker before any network call, so a worker that dies mid-call
    leaves a trace the poller can resolve. Locks the tenant row to keep the in-flight cap exact.
    """
    with transaction.atomic():
        generation = Generation.objects.select_for_update().get(pk=generation_id)
        if (
            generation.status != Status.PENDING
            or generation.provider_task_id
            or generation.submission_started_at
        ):
            return None
        tenant = Tenant.objects.select_for_update().get(pk=generation.tenant_id)
        now = timezone.now()
        cap = tenant.max_in_flight or settings.TENANT_MAX_IN_FLIGHT
        # In flight: at the provider, or pending with a create call under way.
        busy = (
            Generation.objects.for_tenant(tenant)
            .filter(Q(status__in=IN_FLIGHT) | Q(status=Status.PENDING, submission_started_at__isnull=False))
            .count()
        )
        if busy >= cap:
            # Wait in pending; the poller retries shortly, so jobs start as slots free up.
            generation.next_poll_at = now + timedelta(seconds=settings.GENERATION_POLL_MIN_SECONDS)
            generation.save(update_fields=["next_poll_at", "updated_at"])
            message = f"Waiting: {busy} of {cap} generations already in flight"
            if not generation.events.filter(message__startswith="Waiting:").exists():
                GenerationEvent.record(generation, Event.NOTE, message)
            return None
        generation.submission_started_at = now
        generation.submit_attempts += 1
        # If this worker dies, the poller looks again once the lease is over.
        generation.next_poll_at = now + timedelta(seconds=settings.GENERATION_SUBMIT_LEASE_SECONDS)
        generation.save(
            update_fields=["submission_started_at", "submit_attempts", "next_poll_at", "updated_at"]
        )
    return generation, providers.get_adapter(generation.provider)


def record_submitted(generation_id: str, provider_slug: str, task_id: str, call: dict) -> Generation:
    """The provider accepted the job as `task_id`: pending → queued, polling scheduled."""
    with transaction.atomic():
        generation = Generation.objects.select_for_update().get(pk=generation_id)
        GenerationEvent.record(
            generation, Event.PROVIDER_CALL, f"Created task {task_id} at {provider_slug}", call
        )
        if generation.provider_task_id == task_id:
            return generation  # a callback already adopted it
        generation.provider_task_id = task_id
        generation.submission_started_at = None
        if generation.is_terminal:
            # Cancelled while the create call was in flight: keep the id for the provider cancel.
            generation.save(update_fields=["provider_task_id", "submission_started_at", "updated_at"])
            return generation
        generation.next_poll_at = timezone.now() + first_poll_delay(provider_slug)
        _move(generation, Update(state=Status.QUEUED), source="submit")
    return generation


def record_submit_error(generation_id: str, error: ProviderError, call: dict) -> Generation:
    """A create call failed: fail, fail over, retry later, or (outcome unknown) wait and see."""
    with transaction.atomic():
        generation = Generation.objects.select_for_update().get(pk=generation_id)
        slug = generation.provider
        GenerationEvent.record(
            generation,
            Event.PROVIDER_CALL,
            f"Create at {slug} failed: {error.code}: {error.message}",
            {**call, "retryable": error.retryable, "task_created": error.task_created},
        )
        if generation.status != Status.PENDING:
            return generation  # cancelled meanwhile; nothing was charged
        now = timezone.now()
        if error.task_created is not False:
            # The provider may have started a task we have no id for. Resubmitting could make two
            # videos, so wait for a callback to reveal it; the poller fails it after the grace period.
            window_end = generation.submission_started_at + ambiguous_window(slug)
            generation.next_poll_at = window_end
            generation.save(update_fields=["next_poll_at", "updated_at"])
            GenerationEvent.record(
                generation,
                Event.NOTE,
                f"Outcome unknown: {slug} may have started a task. Not resubmitted; "
                f"settled at {window_end:%Y-%m-%d %H:%M} UTC unless the provider reports it",
            )
            return generation
        generation.submission_started_at = None
        if not error.retryable:
            _move(generation, _failure(error), source="submit")
            return generation
        if generation.submit_attempts >= settings.GENERATION_SUBMIT_MAX_ATTEMPTS:
            failure = Update(
                state=Status.FAILED,
                error_code="provider_unavailable",
                error_message=f"The provider could not take the job after {generation.submit_attempts} "
                f"attempts (last error: {error.message}).",
            )
            _move(generation, failure, source="submit")
            return generation
        candidates = (
            providers.failover_candidates(generation.spec, after_slug=slug)
            if generation.requested_provider == "auto"
            else []
        )
        if candidates:
            # The provider answered with an error, so no task exists there: safe to go elsewhere.
            generation.provider = candidates[0].slug
            generation.next_poll_at = now  # the next sweep submits it there
            GenerationEvent.record(
                generation, Event.NOTE, f"Failing over from {slug} to {generation.provider}"
            )
        else:
            delay = error.retry_after or backoff(generation.submit_attempts - 1)
            generation.next_poll_at = now + timedelta(seconds=delay)
            GenerationEvent.record(generation, Event.NOTE, f"Retrying the create call in {delay:g} s")
        generation.save(update_fields=["provider", "submission_started_at", "next_poll_at", "updated_at"])
    return generation


def _failure(error: ProviderError) -> Update:
    return Update(state=Status.FAILED, error_code=error.code, error_message=error.message)


def resolve_lost_submission(generation_id: str) -> Generation:
    """A submission whose outcome never came back: wait for a callback, then fail and release."""
    with transaction.atomic():
        generation = Generation.objects.select_for_update().get(pk=generation_id)
        if generation.status != Status.PENDING or not generation.submission_started_at:
            return generation
        window_end = generation.submission_started_at + ambiguous_window(generation.provider)
        if timezone.now() < window_end:
            generation.next_poll_at = window_end
            generation.save(update_fields=["next_poll_at", "updated_at"])
            GenerationEvent.record(
                generation,
                Event.NOTE,
                "The submission did not finish (worker stopped?); waiting for the provider to report "
                f"the task until {window_end:%Y-%m-%d %H:%M} UTC. Not resubmitted",
            )
            return generation
        failure = Update(
            state=Status.FAILED,
            error_code="submission_unconfirmed",
            error_message="The provider never confirmed this job. Nothing was charged; please try again.",
        )
        _move(generation, failure, source="sweeper")
    return generation


def adopt_task(generation_id: str, task_id: str) -> Generation:
    """A callback named the task of a submission whose outcome we never learned: take it up."""
    with transaction.atomic():
        generation = Generation.objects.select_for_update().get(pk=generation_id)
        if generation.status != Status.PENDING or generation.provider_task_id:
            return generation
        if not generation.submission_started_at:
            return generation  # never sent anywhere: the callback cannot be about this job
        generation.provider_task_id = task_id
        generation.submission_started_at = None
        generation.next_poll_at = timezone.now() + first_poll_delay(generation.provider)
        GenerationEvent.record(generation, Event.NOTE, f"Task {task_id} made known by a provider callback")
        _move(generation, Update(state=Status.QUEUED), source="callback")
    return generation


# --- Polling bookkeeping ------------------------------------------------------------------------


def backoff(attempt: int) -> int:
    """Seconds before the next poll or retry: MIN doubling per attempt, capped at MAX."""
    return min(
        settings.GENERATION_POLL_MIN_SECONDS * 2 ** min(attempt, 16), settings.GENERATION_POLL_MAX_SECONDS
    )


def first_poll_delay(provider_slug: str) -> timedelta:
    adapter = providers.get_adapter(provider_slug)
    if adapter.capabilities.callbacks:
        return timedelta(seconds=settings.GENERATION_FIRST_POLL_WITH_CALLBACK_SECONDS)
    return timedelta(seconds=settings.GENERATION_POLL_MIN_SECONDS)


def ambiguous_window(provider_slug: str) -> timedelta:
    """How long after a create call with no known outcome a callback may still adopt the task."""
    lease = timedelta(seconds=settings.GENERATION_SUBMIT_LEASE_SECONDS)
    if providers.get_adapter(provider_slug).capabilities.callbacks:
        return max(lease, timedelta(minutes=settings.GENERATION_AMBIGUOUS_GRACE_MINUTES))
    return lease


def schedule_next_poll(generation_id: str, retry_after: float | None = None) -> None:
    """Count a poll and set the next one (backoff), unless the job is terminal by now."""
    generation = Generation.objects.only("poll_count").get(pk=generation_id)
    # The first poll came GENERATION_POLL_MIN_SECONDS after submission; each later one doubles.
    delay = retry_after or backoff(generation.poll_count + 1)
    Generation.objects.filter(pk=generation_id, status__in=[Status.QUEUED, Status.RUNNING]).update(
        poll_count=generation.poll_count + 1,
        next_poll_at=timezone.now() + timedelta(seconds=delay),
        updated_at=timezone.now(),
    )


def record_poll_problem(generation: Generation, message: str, call: dict | None = None) -> None:
    """Timeline entry for a poll that failed or returned a state we do not know; never terminal."""
    GenerationEvent.record(generation, Event.PROVIDER_CALL, message, call)


# How long a poll enqueued by poll_soon() has before the sweeper polls the job itself.
POLL_SOON_SAFETY_NET = timedelta(seconds=60)


def poll_soon(generation: Generation) -> None:
    """An unsigned callback is a hint: fetch the real status from the provider, off the request.

    The enqueued poll does the work; the due time is only the safety net for a lost enqueue.
    Setting it to "now" made the sweeper enqueue a second poll of every job that called back
    (bench/poller_scale.py: one extra task per job, doubling the queue under load).
    """
    Generation.objects.filter(pk=generation.pk, status__in=[Status.QUEUED, Status.RUNNING]).update(
        next_poll_at=timezone.now() + POLL_SOON_SAFETY_NET
    )
    transaction.on_commit(lambda: async_task("generations.tasks.poll_generation", generation.id))


def expire(generation_id: str) -> Generation:
    hours = deadline_for(Generation.objects.only("provider").get(pk=generation_id).provider)
    update = Update(
        state=Status.EXPIRED,
        error_code="deadline_exceeded",
        error_message=f"No result within {hours.total_seconds() / 3600:g} hours; nothing was charged.",
    )
    return apply_update(generation_id, update, source="expiry")


# --- Cancel and review --------------------------------------------------------------------------


def cancel(generation: Generation, actor=None) -> Generation:
    """Cancel a job and release its credits. Cancelling a cancelled job returns it unchanged.

    Before submission nothing is sent. After it, the provider's cancel is called where the
    protocol has one; where it has none, or refuses (Ark cancels queued tasks only), we stop
    tracking the task: the customer does not pay for a video they will not get.
    Raises NotCancellable (409) for a job that already finished otherwise.
    """
    generation = Generation.objects.get(pk=generation.pk)
    if generation.status == Status.CANCELLED:
        return generation
    if generation.is_terminal:
        raise NotCancellable(f"This generation already {generation.status}; it can no longer be cancelled.")
    if generation.provider_task_id:
        cancel_at_provider(generation)
    update = Update(state=Status.CANCELLED, error_code="cancelled", error_message="Cancelled on request.")
    return apply_update(generation.id, update, source="cancel", actor=actor)


def cancel_at_provider(generation: Generation) -> None:
    """Best effort: ask the provider to stop the task; the outcome goes on the timeline."""
    adapter = providers.get_adapter(generation.provider)
    request = adapter.build_cancel(generation.provider_task_id)
    if request is None:
        GenerationEvent.record(
            generation, Event.NOTE, f"{adapter.slug} has no cancel call; the task is no longer tracked"
        )
        return
    call = describe_request(request)
    try:
        response = transport.send(request)
    except ProviderError as error:
        GenerationEvent.record(
            generation,
            Event.PROVIDER_CALL,
            f"{adapter.slug} refused the cancel ({error.message}); the task is no longer tracked",
            call,
        )
        return
    GenerationEvent.record(
        generation,
        Event.PROVIDER_CALL,
        f"Cancelled task at {adapter.slug}",
        {**call, **describe_response(response)},
    )


def approve(generation: Generation, actor) -> Generation:
    """Review passed: awaiting_review → pending, and submit it (with a fresh deadline)."""
    with transaction.atomic():
        locked = Generation.objects.select_for_update().get(pk=generation.pk)
        if locked.status != Status.AWAITING_REVIEW:
            raise NotAwaitingReview(f"This generation is {locked.status}, not awaiting review.")
        now = timezone.now()
        locked.deadline = now + deadline_for(locked.provider)
        locked.next_poll_at = now  # the next sweep submits it
        _move(locked, Update(state=Status.PENDING), source="moderation", actor=actor)
    return locked


def reject(generation: Generation, actor, reason: str) -> Generation:
    """Review failed: → rejected, credits released, `reason` shown to the tenant."""
    reason = (reason or "").strip() or "Rejected by moderation."
    with transaction.atomic():
        locked = Generation.objects.select_for_update().get(pk=generation.pk)
        if locked.status != Status.AWAITING_REVIEW:
            raise NotAwaitingReview(f"This generation is {locked.status}, not awaiting review.")
        locked.moderation_note = reason
        update = Update(state=Status.REJECTED, error_code="rejected", error_message=reason)
        _move(locked, update, source="moderation", actor=actor)
    return locked


# --- Redacted descriptions of provider calls, for the timeline -----------------------------------


def describe_request(request) -> dict:
    """Method, URL and JSON body of an outgoing request. Headers (bearer keys) are never kept."""
    return {
        "request": {"method": request.method, "url": str(request.url), "body": _json_or_text(request.content)}
    }


def describe_response(response) -> dict:
    return {"response": {"status": response.status_code, "body": _json_or_text(response.content)}}


def _json_or_text(content: bytes):
    if not content:
        return None
    try:
        return json.loads(content)
    except ValueError:
        return content[:500].decode("utf-8", "replace")
