"""Completion callbacks from the sandbox to the callback URL a task was created with.

Like a real provider, the sandbox calls back when the task finishes: creating a task with a
callback URL starts a timer (`schedule()`) that fires at the task's end and sends it. A status
read never sends one. `deliver_due_callbacks()` (a django-q2 schedule, every minute) only
retries callbacks that failed or whose timer was lost with its process. Delivery is claimed
with a conditional UPDATE, so a callback is sent once even when the timer and the retry sweep
meet, and it goes through the outbound guard like every request we send to a URL we were given.
Up to MAX_ATTEMPTS tries; only a 2xx answer counts as delivered.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import timedelta

import httpx
from django.conf import settings
from django.db import close_old_connections, transaction
from django.db.models import Q
from django.utils import timezone

from generations import outbound
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
        with outbound.stream(
            "POST",
            task.callback_url,
            headers={"Content-Type": "application/json", **headers},
            content=content,
            follow_redirects=False,
        ) as response:
            status = response.status_code
    except (outbound.OutboundRefused, outbound.OutboundError, httpx.HTTPError) as exc:
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
    """Send every owed completion callback (failed ones, lost timers); returns how many were
    delivered. Safe to run often."""
    if not settings.SANDBOX_ENABLED:
        return 0
    owed = SandboxTask.objects.exclude(callback_url="").filter(
        callback_state__in=["", SandboxTask.Callback.RETRY, SandboxTask.Callback.SENDING],
        created_at__gte=timezone.now() - timedelta(days=2),
    )
    return sum(deliver(task) for task in owed.order_by("created_at"))


def schedule(task: SandboxTask) -> None:
    """Send `task`'s callback when it finishes, from a timer thread of this process, once the
    creating transaction commits. Off when SANDBOX_CALLBACK_TIMERS is (the test harness sends
    callbacks itself, with deliver_due_callbacks())."""
    if not (settings.SANDBOX_CALLBACK_TIMERS and wants_callback(task)):
        return

    def start() -> None:
        timer = threading.Timer(max(0.0, task.delay_seconds), _fire, [task.pk])
        timer.daemon = True
        timer.start()

    transaction.on_commit(start)


def _fire(task_id: str) -> None:
    try:
        task = SandboxTask.objects.filter(pk=task_id).first()
        if task is not None:
            deliver(task)
    except Exception:
        logger.exception("sandbox callback timer for %s failed", task_id)
    finally:
        close_old_connections()
