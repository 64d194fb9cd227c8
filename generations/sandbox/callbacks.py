"""Completion callbacks from the sandbox to the callback URL a task was created with.

A callback is sent once the task is terminal: on the first status read that sees it terminal,
or by `deliver_due_callbacks()` (run by a django-q2 schedule every minute, and called directly
by tests, so nothing depends on timing). Delivery is claimed with a conditional UPDATE, so a
status read made *while* a callback is being handled (the receiver re-fetching the status) does
not send it again. Up to MAX_ATTEMPTS tries; only a 2xx answer counts as delivered.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from generations.providers import transport
from generations.providers.base import ProviderError
from generations.sandbox.models import SandboxTask
from generations.sandbox.protocols import PROTOCOLS

logger = logging.getLogger("generations.sandbox")

MAX_ATTEMPTS = 3
# A claim older than this is considered abandoned (the process died while sending).
STALE_CLAIM = timedelta(minutes=2)


def wants_callback(task: SandboxTask) -> bool:
    return bool(task.callback_url) and PROTOCOLS[task.provider].callbacks and "nocallback" not in task.markers


def deliver(task: SandboxTask) -> bool:
    """Send `task`'s completion callback if it is due and not yet delivered; True if delivered now."""
    now = timezone.now()
    if not wants_callback(task) or not task.is_terminal(now):
        return False
    open_states = Q(callback_state__in=["", SandboxTask.Callback.RETRY]) | Q(
        callback_state=SandboxTask.Callback.SENDING, callback_last_attempt_at__lt=now - STALE_CLAIM
    )
    claimed = SandboxTask.objects.filter(open_states, pk=task.pk, callback_attempts__lt=MAX_ATTEMPTS).update(
        callback_state=SandboxTask.Callback.SENDING, callback_last_attempt_at=now
    )
    if not claimed:
        return False
    task.refresh_from_db()
    body, headers = PROTOCOLS[task.provider].callback(task, now)
    content = json.dumps(body, separators=(",", ":")).encode()
    status = None
    try:
        status = transport.post(
            task.callback_url, content, {"Content-Type": "application/json", **headers}
        ).status_code
    except ProviderError as exc:
        logger.warning("sandbox callback for %s failed: %s", task.id, exc)
    delivered = status is not None and 200 <= status < 300
    attempts = task.callback_attempts + 1
    if delivered:
        state = SandboxTask.Callback.DELIVERED
    else:
        state = SandboxTask.Callback.RETRY if attempts < MAX_ATTEMPTS else SandboxTask.Callback.GAVE_UP
    SandboxTask.objects.filter(pk=task.pk).update(
        callback_state=state, callback_attempts=attempts, callback_last_status=status
    )
    logger.info("sandbox callback for %s -> %s (%s)", task.id, status, state)
    return delivered


def deliver_due_callbacks() -> int:
    """Send every owed completion callback; returns how many were delivered. Safe to run often."""
    if not settings.SANDBOX_ENABLED:
        return 0
    owed = SandboxTask.objects.exclude(callback_url="").filter(
        callback_state__in=["", SandboxTask.Callback.RETRY, SandboxTask.Callback.SENDING],
        created_at__gte=timezone.now() - timedelta(days=2),
    )
    return sum(deliver(task) for task in owed.order_by("created_at"))
