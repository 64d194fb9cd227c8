"""What staff can do to one generation from the admin: each action audited, each idempotent.

Every function returns an Outcome. `changed` is True when this call did something; then, and
only then, exactly one AuditEvent was written. A repeat finds nothing left to do and returns
changed=False with the reason, so double clicks and two moderators on one job are harmless.

Where the change and its audit row can share a transaction they do. Cancel, re-poll and retry
call the provider, and network calls never run inside a transaction here (lifecycle rule), so
their audit row is written right after the lifecycle function returns. Actions that can happen
once per generation (cancel, refund, hide, approve, reject) also carry a request_key, so the
database itself refuses a second audit row for them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import audit
from accounts.models import AuditEvent
from generations import holds, lifecycle, tasks
from generations.lifecycle import NotAwaitingReview, NotCancellable
from generations.models import Generation, GenerationEvent, Status

HIDDEN_NOTE = "Removed by moderation."


@dataclass(frozen=True)
class Outcome:
    changed: bool
    detail: str  # what happened, or why nothing did; shown to staff


def summary(generation: Generation) -> dict:
    """The fields an audit row records before and after a staff action."""
    return {
        "status": generation.status,
        "held": generation.held,
        "charged": generation.charged,
        "flagged": generation.flagged,
        "hidden": generation.hidden_at is not None,
    }


def cancel_and_refund(generation: Generation, actor, request=None) -> Outcome:
    """Stop an unfinished job and release its hold, or refund a succeeded job's charge.

    Failed, cancelled, expired and rejected jobs were never charged: nothing to do.
    """
    generation = Generation.objects.get(pk=generation.pk)
    if not generation.is_terminal:
        before = summary(generation)
        try:
            generation = lifecycle.cancel(generation, actor=actor)
        except NotCancellable:
            generation = Generation.objects.get(pk=generation.pk)
        if generation.status == Status.CANCELLED:
            generation.refresh_from_db()
            recorded = _record_once(
                actor, "generation.cancel", generation, before, summary(generation), request=request
            )
            if recorded:
                return Outcome(True, f"cancelled; {before['held']} held credits released")
            return Outcome(False, "already cancelled")
        # It finished while we asked; a success can still be refunded below.
    if generation.status == Status.SUCCEEDED:
        return _refund(generation, actor, request)
    return Outcome(False, f"already {generation.status}; nothing is held or charged")


def _refund(generation: Generation, actor, request) -> Outcome:
    before = summary(generation)
    try:
        with transaction.atomic():
            if not holds.refund(generation, actor=actor, note="Refunded by staff"):
                return Outcome(False, "nothing to refund (never charged, or refunded already)")
            GenerationEvent.record(
                generation, GenerationEvent.Kind.BILLING, f"Refunded {generation.charged} credits by staff"
            )
            audit.record(
                actor,
                "generation.refund",
                target=generation,
                before=before,
                after={**summary(generation), "refunded": generation.charged},
                request=request,
                request_key=f"generation.refund:{generation.pk}",
            )
    except IntegrityError:
        return Outcome(False, "refunded already")
    return Outcome(True, f"refunded {generation.charged} credits")


def repoll(generation: Generation, actor, request=None) -> Outcome:
    """Ask the provider for the job's status now, instead of at the next scheduled poll.

    Safe to repeat: the answer goes through apply_update, which ignores anything not new.
    Each re-poll that reaches the provider is audited (it is a provider call made by staff).
    """
    generation = Generation.objects.get(pk=generation.pk)
    if generation.status not in (Status.QUEUED, Status.RUNNING) or not generation.provider_task_id:
        return Outcome(False, f"{generation.status}: not waiting on a provider task")
    before = summary(generation)
    result = tasks.poll_generation(generation.pk)
    generation.refresh_from_db()
    audit.record(
        actor,
        "generation.repoll",
        target=generation,
        before=before,
        after=summary(generation),
        note=f"poll result: {result}",
        request=request,
    )
    return Outcome(True, f"polled: {result}")


def retry_submission(generation: Generation, actor, request=None) -> Outcome:
    """Send a pending job to its provider now (it waits on a backoff or a free in-flight slot).

    Never resends a create call whose outcome is unknown: the provider may already have
    started a task for it, and a second one would make (and bill) two videos.
    """
    generation = Generation.objects.get(pk=generation.pk)
    if generation.status != Status.PENDING or generation.provider_task_id:
        return Outcome(False, f"{generation.status}: already submitted or finished")
    if generation.submission_started_at:
        return Outcome(False, "the last create call has no known outcome; not resubmitted (see the timeline)")
    before = summary(generation)
    result = tasks.submit_generation(generation.pk)
    if result == "skipped":
        return Outcome(
            False, "not sent: the tenant's in-flight limit is reached, or another submit is running"
        )
    generation.refresh_from_db()
    audit.record(
        actor,
        "generation.retry",
        target=generation,
        before=before,
        after=summary(generation),
        note=f"submit result: {result}",
        request=request,
    )
    return Outcome(True, f"submitted: {result}")


def hide_result(generation: Generation, actor, reason: str = "", request=None) -> Outcome:
    """Take the result away from the tenant: it shows "removed by moderation", files are refused.

    The mirrored files are kept (evidence, appeals); every surface that serves them checks
    `hidden_at`. Works on unfinished jobs too: their result will be hidden when it arrives.
    """
    note = (reason or "").strip() or HIDDEN_NOTE
    try:
        with transaction.atomic():
            locked = Generation.objects.select_for_update().get(pk=generation.pk)
            if locked.hidden_at is not None:
                return Outcome(False, "already hidden")
            before = summary(locked)
            locked.hidden_at = timezone.now()
            locked.moderation_note = note
            locked.save(update_fields=["hidden_at", "moderation_note", "updated_at"])
            GenerationEvent.record(locked, GenerationEvent.Kind.NOTE, f"Result removed by moderation: {note}")
            audit.record(
                actor,
                "generation.hide",
                target=locked,
                before=before,
                after=summary(locked),
                note=note,
                request=request,
                request_key=f"generation.hide:{locked.pk}",
            )
    except IntegrityError:
        return Outcome(False, "already hidden")
    return Outcome(True, "result hidden")


def set_flagged(generation: Generation, actor, flagged: bool, request=None) -> Outcome:
    """Mark (or unmark) a job for a closer look; a flag changes nothing for the tenant."""
    with transaction.atomic():
        # A conditional UPDATE: of two racing clicks only one matches, so one audit row.
        changed = Generation.objects.filter(pk=generation.pk, flagged=not flagged).update(
            flagged=flagged, updated_at=timezone.now()
        )
        if not changed:
            return Outcome(False, "already flagged" if flagged else "not flagged")
        generation = Generation.objects.get(pk=generation.pk)
        audit.record(
            actor,
            "generation.flag" if flagged else "generation.unflag",
            target=generation,
            before={**summary(generation), "flagged": not flagged},
            after=summary(generation),
            request=request,
        )
    return Outcome(True, "flagged" if flagged else "unflagged")


def approve(generation: Generation, actor, request=None) -> Outcome:
    """Review passed: the job goes to pending, due at once: the poller's next sweep submits it."""
    try:
        with transaction.atomic():
            before = summary(Generation.objects.get(pk=generation.pk))
            approved = lifecycle.approve(generation, actor)
            audit.record(
                actor,
                "generation.approve",
                target=approved,
                before=before,
                after=summary(approved),
                request=request,
                request_key=f"generation.review:{generation.pk}",
            )
    except (NotAwaitingReview, IntegrityError):
        return Outcome(False, f"not awaiting review ({Generation.objects.get(pk=generation.pk).status})")
    return Outcome(True, "approved: the poller sends it to the provider within seconds")


def reject(generation: Generation, actor, reason: str, request=None) -> Outcome:
    """Review failed: the job is rejected, its hold released, `reason` shown to the tenant."""
    try:
        with transaction.atomic():
            before = summary(Generation.objects.get(pk=generation.pk))
            rejected = lifecycle.reject(generation, actor, reason)
            audit.record(
                actor,
                "generation.reject",
                target=rejected,
                before=before,
                after=summary(rejected),
                note=rejected.moderation_note,
                request=request,
                request_key=f"generation.review:{generation.pk}",
            )
    except (NotAwaitingReview, IntegrityError):
        return Outcome(False, f"not awaiting review ({Generation.objects.get(pk=generation.pk).status})")
    return Outcome(True, f"rejected; {before['held']} held credits released")


def _record_once(actor, action: str, generation: Generation, before: dict, after: dict, request) -> bool:
    """Audit a once-per-generation action; False when a racing call already did."""
    try:
        with transaction.atomic():
            audit.record(
                actor,
                action,
                target=generation,
                before=before,
                after=after,
                request=request,
                request_key=f"{action}:{generation.pk}",
            )
    except IntegrityError:
        return False
    return True


def audit_trail(generation: Generation):
    """The staff actions on one generation, newest first (the admin detail page lists them)."""
    return AuditEvent.objects.filter(target_type=Generation._meta.label_lower, target_id=str(generation.pk))
