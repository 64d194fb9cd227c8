"""The generation lifecycle: the one function that moves a generation, and its named wrappers.

`transition()` is the only code that assigns `Generation.status`. Under the row lock it checks
the transition table and the caller's precondition, stamps the times, records the timeline
event, settles the money on the way into a terminal state and writes the change row that
generations.followups acts on (the outbox: copying the result, customer webhooks). Every cause
of a change has a thin wrapper below: the submission's outcome, a provider update (the status
call, made by a poll or asked for by a callback), adoption of a task revealed by a callback,
moderation, cancel, expiry, and the copy of the result. Network calls never run while a row is
locked. docs/lifecycle.md describes the policies.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from accounts.models import Tenant
from generations import holds, polling, pricing, providers
from generations.calls import describe_request, describe_response
from generations.models import (
    FINISHING,
    TERMINAL,
    Generation,
    GenerationChange,
    GenerationEvent,
    Mirror,
    Status,
)
from generations.providers import transport
from generations.providers.base import Adapter, ProviderError, State, Update
from ops.metrics import CALLBACK_TO_VISIBLE_SECONDS
from seedance_site.errors import DomainError

log = logging.getLogger(__name__)
Event = GenerationEvent.Kind
S = Status

# Where each stage may go; nothing else moves. A stage is a status, or `finishing`: the provider
# delivered, and the job stays `running` until our copy of the video exists, so `succeeded`
# always comes with a video. Terminal states have no way out. Money moves on the way into a
# terminal state: capture into `succeeded`, release into every other one.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.AWAITING_REVIEW: frozenset({S.PENDING, S.REJECTED, S.CANCELLED, S.EXPIRED}),
    S.PENDING: frozenset({S.QUEUED, S.RUNNING, FINISHING, S.FAILED, S.CANCELLED, S.EXPIRED}),
    S.QUEUED: frozenset({S.RUNNING, FINISHING, S.FAILED, S.CANCELLED, S.EXPIRED}),
    S.RUNNING: frozenset({FINISHING, S.FAILED, S.CANCELLED, S.EXPIRED}),
    FINISHING: frozenset({S.SUCCEEDED, S.FAILED, S.CANCELLED}),
}
PROVIDER_STATES = frozenset({State.QUEUED, State.RUNNING, *State.TERMINAL})


class InvalidTransition(DomainError):
    """The transition table does not allow this move from the generation's current stage."""

    code = "invalid_transition"
    http_status = 409
    template = "This generation is {stage}; it cannot become {to}."


class NotCancellable(InvalidTransition):
    code = "not_cancellable"
    template = "This generation already {stage}; it can no longer be cancelled."


class NotAwaitingReview(InvalidTransition):
    code = "not_awaiting_review"
    template = "This generation is {stage}, not awaiting review."


class StaleUpdate(InvalidTransition):
    """A provider update that would move the job backwards or out of a terminal state."""

    code = "stale_update"


# --- The one way state moves -----------------------------------------------------------------------


def transition(
    generation_id: str,
    to: str,
    *,
    source: str,
    actor=None,
    precondition: Callable[[Generation], bool] | None = None,
    fields: dict | None = None,
    refused: type[InvalidTransition] = InvalidTransition,
    repeat_ok: bool = True,
) -> Generation:
    """Move a generation to stage `to` and return it (locked and saved).

    - A generation already at `to` is returned unchanged (repeats are harmless), unless
      `repeat_ok` is False: then a repeat is refused like any move the table forbids.
    - `precondition(generation)` False: returned unchanged (the caller's "nothing to do").
    - A move the table forbids raises `refused` (an InvalidTransition); nothing changes.
    - Otherwise `fields` are set, the times stamped, the event recorded, money settled on a
      terminal move, and a GenerationChange written, all in one transaction; the change is
      handed to a worker when it commits.
    """
    with transaction.atomic():
        generation = Generation.objects.select_for_update().get(pk=generation_id)
        previous = generation.stage
        if previous == to and repeat_ok:
            return generation
        if precondition is not None and not precondition(generation):
            return generation
        if to not in TRANSITIONS.get(previous, ()):
            raise refused(refused.template.format(stage=previous, to=to))
        _apply(generation, to, fields or {})
        data = {"from": previous, "to": to, "source": source}
        if actor is not None:
            data["actor"] = str(actor)
        if generation.error_code:
            data["error"] = {"code": generation.error_code, "message": generation.error_message}
        GenerationEvent.record(generation, Event.STATE, f"{previous} → {to} ({source})", data)
        log.info(
            "%s → %s (%s)",
            previous,
            to,
            source,
            extra={"generation_id": generation.pk, "tenant_id": generation.tenant_id, "stage": to},
        )
        if source == "callback":
            _time_callback_to_visible(generation)
        if generation.is_terminal:
            _settle(generation)
        change = GenerationChange.objects.create(
            generation=generation, from_stage=previous, to_stage=to, source=source
        )
        transaction.on_commit(lambda: enqueue_change(change.pk))
    return generation


def _time_callback_to_visible(generation: Generation) -> None:
    """Observe, once the move commits, how long ago the callback behind it arrived."""
    received = (
        GenerationEvent.objects.filter(generation=generation, kind=Event.CALLBACK)
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
    if received is not None:
        transaction.on_commit(
            lambda: CALLBACK_TO_VISIBLE_SECONDS.observe((timezone.now() - received).total_seconds())
        )


def enqueue_change(change_id: int) -> None:
    """Hand a committed change to a worker now; followups.sweep() catches a lost enqueue."""
    async_task("generations.followups.process_change", change_id, task_name=f"change-{change_id}")


def _apply(generation: Generation, to: str, fields: dict) -> None:
    now = timezone.now()
    for name, value in fields.items():
        setattr(generation, name, value)
    generation.status = S.RUNNING if to == FINISHING else to
    if to == S.QUEUED and generation.submitted_at is None:
        generation.submitted_at = now
    if to in (S.RUNNING, FINISHING) and generation.started_at is None:
        generation.started_at = now
    if to == FINISHING:
        generation.mirror_state = Mirror.COPYING
        generation.next_poll_at = None  # the provider is done; nothing left to ask it
    if to in TERMINAL:
        generation.finished_at = now
        generation.next_poll_at = None
        generation.submission_started_at = None
    generation.save()


def _settle(generation: Generation) -> None:
    """Capture on success, release otherwise. generations.holds makes each idempotent per generation and
    keeps generation.held/charged up to date."""
    held = generation.held
    if generation.status == S.SUCCEEDED:
        holds.capture(generation, actual_amount=actual_price(generation))
        message = f"Charged {generation.charged} credits"
        if generation.charged != held:
            message += f" of {held} held: the video is {generation.actual_duration} s"
    else:
        holds.release(generation)
        message = f"Released {held} held credits; nothing charged"
    GenerationEvent.record(generation, Event.BILLING, message, {"held": held, "charged": generation.charged})


def actual_price(generation: Generation) -> int | None:
    """The price of the duration the model chose, for an auto-duration job; None means the quote.

    holds.capture never charges more than was held: the hold is the most the customer agreed to.
    """
    if not (generation.spec.is_auto_duration and generation.actual_duration):
        return None
    spec = replace(generation.spec, duration=generation.actual_duration)
    return pricing.quote(spec, generation.provider).credits


def _failure(code: str, message: str) -> dict:
    return {"error_code": code, "error_message": message}


# --- Provider updates (polls and callbacks) ----------------------------------------------------------


def provider_update(generation_id: str, update: Update, *, source: str) -> Generation:
    """What the provider says about its task. A success moves the job to `finishing` (the
    result is copied next; generations.followups); a success without a video is a failure.

    Raises StaleUpdate for an update the table forbids (a backward or late one). An update to
    a job that is already finishing, or in a state no adapter should return, changes nothing.
    """
    if update.state not in PROVIDER_STATES:
        return Generation.objects.get(pk=generation_id)
    to = update.state
    fields: dict = {} if update.raw is None else {"provider_payload": update.raw}
    if to == S.SUCCEEDED and update.video_url:
        to = FINISHING
        fields.update(
            video_url=update.video_url,
            last_frame_url=update.last_frame_url or "",
            result_at=timezone.now(),
            result_source=source,
        )
        if update.duration_s:
            fields["actual_duration"] = update.duration_s
        if update.run_seconds is not None:
            fields["provider_run_seconds"] = update.run_seconds
    elif to == S.SUCCEEDED:
        # The customer pays for a video they receive; a "success" without one is a failure.
        to = S.FAILED
        fields.update(_failure("no_video", "The provider reported success but returned no video."))
    elif to in TERMINAL:
        fields.update(_failure(update.error_code or "", update.error_message or ""))
    # Once the provider delivered a video (finishing), its later word changes nothing.
    return transition(
        generation_id,
        to,
        source=source,
        fields=fields,
        refused=StaleUpdate,
        precondition=lambda g: g.stage != FINISHING,
    )


# --- The copy of the result (generations.results) -------------------------------------------------


def result_copied(generation_id: str) -> Generation:
    """finishing → succeeded: our copy of the video exists; the hold is captured."""
    return transition(
        generation_id,
        S.SUCCEEDED,
        source="mirror",
        precondition=lambda g: bool(g.video_file),
        fields={"mirror_state": Mirror.COPIED},
    )


def result_lost(generation_id: str, reason: str) -> Generation:
    """finishing → failed: the provider's video can never be copied (gone, refused, or out of
    retries). Nothing is charged for a video the customer cannot get."""
    return transition(
        generation_id,
        S.FAILED,
        source="mirror",
        fields={
            "mirror_state": Mirror.FAILED,
            **_failure("result_unavailable", f"The provider's video could not be copied: {reason}"),
        },
    )


# --- Submission ------------------------------------------------------------------------------------


def begin_submission(generation_id: str) -> tuple[Generation, Adapter] | None:
    """Claim a pending job for one create call, or None when there is nothing to submit now.

    Commits the submission marker before any network call, so a worker that dies mid-call
    leaves a trace the poller can resolve. Locks the tenant row to keep the in-flight cap exact.
    """
    with transaction.atomic():
        generation = Generation.objects.select_for_update().get(pk=generation_id)
        if generation.status != S.PENDING or generation.provider_task_id or generation.submission_started_at:
            return None
        tenant = Tenant.objects.select_for_update().get(pk=generation.tenant_id)
        now = timezone.now()
        cap = tenant.max_in_flight or settings.TENANT_MAX_IN_FLIGHT
        busy = Generation.objects.for_tenant(tenant).occupying_slots().count()
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


def submit_accepted(generation_id: str, provider_slug: str, task_id: str, call: dict) -> Generation:
    """The provider accepted the job as `task_id`: pending → queued, polling scheduled.

    Cancelled while the create call was in flight: the task id is kept for the provider cancel.
    """
    with transaction.atomic():
        generation = Generation.objects.select_for_update().get(pk=generation_id)
        GenerationEvent.record(
            generation, Event.PROVIDER_CALL, f"Created task {task_id} at {provider_slug}", call
        )
        if generation.provider_task_id == task_id:
            return generation  # a callback already adopted it
        if generation.is_terminal:
            Generation.objects.filter(pk=generation_id).update(
                provider_task_id=task_id, submission_started_at=None, updated_at=timezone.now()
            )
            generation.provider_task_id = task_id
            return generation
        return transition(
            generation_id,
            S.QUEUED,
            source="submit",
            fields={
                "provider_task_id": task_id,
                "submission_started_at": None,
                "next_poll_at": polling.first_poll_at(generation),
            },
        )


def submit_failed(generation_id: str, error: ProviderError, call: dict) -> Generation:
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
        if generation.status != S.PENDING:
            return generation  # cancelled meanwhile; nothing was charged
        now = timezone.now()
        if error.task_created is not False:
            # The provider may have started a task we have no id for. Resubmitting could make two
            # videos, so wait for a callback to reveal it; the poller fails it after the grace period.
            window_end = generation.submission_started_at + polling.ambiguous_window(slug)
            generation.next_poll_at = window_end
            generation.save(update_fields=["next_poll_at", "updated_at"])
            GenerationEvent.record(
                generation,
                Event.NOTE,
                f"Outcome unknown: {slug} may have started a task. Not resubmitted; "
                f"settled at {window_end:%Y-%m-%d %H:%M} UTC unless the provider reports it",
            )
            return generation
        if not error.retryable:
            return _submit_fails(generation_id, error.code, error.message)
        if generation.submit_attempts >= settings.GENERATION_SUBMIT_MAX_ATTEMPTS:
            return _submit_fails(
                generation_id,
                "provider_unavailable",
                f"The provider could not take the job after {generation.submit_attempts} "
                f"attempts (last error: {error.message}).",
            )
        candidates = (
            providers.failover_candidates(generation.spec, after_slug=slug)
            if generation.requested_provider == "auto"
            else []
        )
        generation.submission_started_at = None
        if candidates:
            # The provider answered with an error, so no task exists there: safe to go elsewhere.
            generation.provider = candidates[0].slug
            generation.next_poll_at = now  # submitted again at once
            GenerationEvent.record(
                generation, Event.NOTE, f"Failing over from {slug} to {generation.provider}"
            )
            polling.wake()
        else:
            delay = error.retry_after or polling.backoff(generation.submit_attempts - 1)
            generation.next_poll_at = now + timedelta(seconds=delay)
            GenerationEvent.record(generation, Event.NOTE, f"Retrying the create call in {delay:g} s")
        generation.save(update_fields=["provider", "submission_started_at", "next_poll_at", "updated_at"])
    return generation


def _submit_fails(generation_id: str, code: str, message: str) -> Generation:
    return transition(
        generation_id,
        S.FAILED,
        source="submit",
        fields={**_failure(code, message), "submission_started_at": None},
    )


def submission_lost(generation_id: str) -> Generation:
    """A submission whose outcome never came back: wait for a callback, then fail and release."""
    with transaction.atomic():
        generation = Generation.objects.select_for_update().get(pk=generation_id)
        if generation.status != S.PENDING or not generation.submission_started_at:
            return generation
        window_end = generation.submission_started_at + polling.ambiguous_window(generation.provider)
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
        return transition(
            generation_id,
            S.FAILED,
            source="sweeper",
            fields=_failure(
                "submission_unconfirmed",
                "The provider never confirmed this job. Nothing was charged; please try again.",
            ),
        )


def adopt(generation_id: str, task_id: str) -> Generation:
    """A callback named the task of a submission whose outcome we never learned: take it up.

    Only a pending job whose create call went out (and came back with nothing) can be adopted.
    """

    def unknown_outcome(generation: Generation) -> bool:
        return bool(generation.submission_started_at) and not generation.provider_task_id

    with transaction.atomic():
        generation = Generation.objects.select_for_update().get(pk=generation_id)
        if generation.status != S.PENDING or not unknown_outcome(generation):
            return generation
        GenerationEvent.record(generation, Event.NOTE, f"Task {task_id} made known by a provider callback")
        return transition(
            generation_id,
            S.QUEUED,
            source="callback",
            precondition=unknown_outcome,
            fields={
                "provider_task_id": task_id,
                "submission_started_at": None,
                "next_poll_at": polling.first_poll_at(generation),
            },
        )


# --- Expiry, cancel, review -------------------------------------------------------------------------


def expire(generation_id: str) -> Generation:
    """Past its deadline without a result: expired, credits released."""
    hours = polling.deadline_for(Generation.objects.only("provider").get(pk=generation_id).provider)
    return transition(
        generation_id,
        S.EXPIRED,
        source="expiry",
        fields=_failure(
            "deadline_exceeded",
            f"No result within {hours.total_seconds() / 3600:g} hours; nothing was charged.",
        ),
    )


def cancel(generation: Generation, actor=None) -> Generation:
    """Cancel a job and release its credits. Cancelling a cancelled job returns it unchanged.

    Before submission nothing is sent. After it, the provider's cancel is called where the
    protocol has one; where it has none, or refuses (Ark cancels queued tasks only), we stop
    tracking the task: the customer does not pay for a video they will not get.
    Raises NotCancellable (409) for a job that already finished otherwise.
    """
    generation = Generation.objects.get(pk=generation.pk)
    if generation.stage not in TERMINAL and generation.stage != FINISHING and generation.provider_task_id:
        cancel_at_provider(generation)
    return transition(
        generation.pk,
        S.CANCELLED,
        source="cancel",
        actor=actor,
        fields=_failure("cancelled", "Cancelled on request."),
        refused=NotCancellable,
    )


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
    """Review passed: awaiting_review → pending with a fresh deadline, and submitted at once."""
    now = timezone.now()
    with transaction.atomic():
        approved = transition(
            generation.pk,
            S.PENDING,
            source="moderation",
            actor=actor,
            fields={"deadline": now + polling.deadline_for(generation.provider), "next_poll_at": now},
            refused=NotAwaitingReview,
            repeat_ok=False,
        )
        polling.wake()
    return approved


def reject(generation: Generation, actor, reason: str) -> Generation:
    """Review failed: → rejected, credits released, `reason` shown to the tenant."""
    reason = (reason or "").strip() or "Rejected by moderation."
    return transition(
        generation.pk,
        S.REJECTED,
        source="moderation",
        actor=actor,
        fields={"moderation_note": reason, **_failure("rejected", reason)},
        refused=NotAwaitingReview,
        repeat_ok=False,
    )
