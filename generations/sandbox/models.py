from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.db import models
from django.utils import timezone

MARKER = re.compile(r"\[sandbox:([a-z0-9]+)\]")

# Share of the delay spent queued; the rest is "running" until the task turns terminal.
QUEUED_SHARE = 0.4


def markers(prompt: str) -> set[str]:
    """The `[sandbox:...]` fault markers in a prompt."""
    return set(MARKER.findall(prompt or ""))


class Phase(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


TERMINAL_PHASES = frozenset({Phase.SUCCEEDED, Phase.FAILED, Phase.EXPIRED, Phase.CANCELLED})


class SandboxTask(models.Model):
    """One emulated provider task. Its state is derived from its age, so nothing has to tick."""

    id = models.CharField(primary_key=True, max_length=64)
    provider = models.CharField(max_length=20)  # the URL it was created on: kie, apikley, ark, ...
    prompt = models.TextField()
    request = models.JSONField()
    callback_url = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    delay_seconds = models.FloatField()
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Callback(models.TextChoices):
        NONE = "", "Not sent"
        SENDING = "sending", "Sending"
        RETRY = "retry", "To retry"
        DELIVERED = "delivered", "Delivered"
        GAVE_UP = "gave_up", "Gave up"

    callback_state = models.CharField(max_length=10, choices=Callback.choices, blank=True, default="")
    callback_attempts = models.PositiveIntegerField(default=0)
    callback_last_attempt_at = models.DateTimeField(null=True, blank=True)
    callback_last_status = models.IntegerField(null=True, blank=True)  # HTTP status we got back

    class Meta:
        indexes = [
            # deliver_due_callbacks(): tasks whose terminal callback is still owed.
            models.Index(
                fields=["created_at"],
                name="sandbox_task_callback_due",
                condition=models.Q(callback_state__in=["", "retry", "sending"]) & ~models.Q(callback_url=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.id}"

    @property
    def markers(self) -> set[str]:
        return markers(self.prompt)

    def elapsed(self, now: datetime | None = None) -> float:
        return ((now or timezone.now()) - self.created_at).total_seconds()

    def phase(self, now: datetime | None = None) -> str:
        if self.cancelled_at:
            return Phase.CANCELLED
        elapsed = self.elapsed(now)
        if elapsed >= self.delay_seconds:
            if "expire" in self.markers:
                return Phase.EXPIRED
            return Phase.FAILED if "fail" in self.markers else Phase.SUCCEEDED
        return Phase.QUEUED if elapsed < self.delay_seconds * QUEUED_SHARE else Phase.RUNNING

    def is_terminal(self, now: datetime | None = None) -> bool:
        return self.phase(now) in TERMINAL_PHASES

    @property
    def completed_at(self) -> datetime:
        return self.cancelled_at or self.created_at + timedelta(seconds=self.delay_seconds)


class SandboxFault(models.Model):
    """A once-only fault (`[sandbox:5xx]`, `[sandbox:429]`) that already fired for a prompt."""

    key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.key
