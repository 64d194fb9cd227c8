"""Heartbeats: worker and poller processes prove they are alive by writing a row every few
seconds (HEARTBEAT_INTERVAL_SECONDS); /readyz counts a role as dead when its newest beat is
older than HEARTBEAT_MAX_AGE_SECONDS.

The poller beats from its sweep loop. The worker beats from `manage.py run_worker`, the
qcluster wrapper, while django-q2's sentinel (which restarts dead task processes) is alive.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from ops.models import Heartbeat

log = logging.getLogger(__name__)

INSTANCE = f"{socket.gethostname()}:{os.getpid()}"
# Rows of processes gone this long are deleted by the next beat of the same role.
FORGET_AFTER = timedelta(days=1)


def beat(role: str, instance: str | None = None) -> None:
    """Record that this process (of `role`) is alive now."""
    now = timezone.now()
    instance = instance or f"{socket.gethostname()}:{os.getpid()}"
    Heartbeat.objects.update_or_create(
        role=role,
        instance=instance,
        defaults={"seen_at": now},
        create_defaults={"started_at": now, "seen_at": now},
    )
    Heartbeat.objects.filter(role=role, seen_at__lt=now - FORGET_AFTER).delete()


def stale(role: str) -> str | None:
    """Why `role` counts as dead, or None when its newest heartbeat is recent enough."""
    newest = (
        Heartbeat.objects.filter(role=role).order_by("-seen_at").values_list("seen_at", flat=True).first()
    )
    if newest is None:
        return f"no {role} has ever sent a heartbeat"
    age = (timezone.now() - newest).total_seconds()
    if age > settings.HEARTBEAT_MAX_AGE_SECONDS:
        return (
            f"the newest {role} heartbeat is {age:.0f} s old (limit {settings.HEARTBEAT_MAX_AGE_SECONDS} s)"
        )
    return None


class Beater(threading.Thread):
    """Beats for `role` every HEARTBEAT_INTERVAL_SECONDS while `alive()` is true."""

    def __init__(self, role: str, alive=lambda: True):
        super().__init__(name=f"heartbeat-{role}", daemon=True)
        self.role, self.alive = role, alive
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            if self.alive():
                try:
                    close_old_connections()
                    beat(self.role)
                except Exception:
                    log.exception("%s heartbeat failed", self.role)
            self.stopped.wait(settings.HEARTBEAT_INTERVAL_SECONDS)

    def stop(self) -> None:
        self.stopped.set()
