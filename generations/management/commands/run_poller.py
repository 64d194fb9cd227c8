"""The lifecycle's clock: sweep due generations and waiting changes, forever.

Each sweep claims the generations whose `next_poll_at` has passed and enqueues their tasks
(submission, status poll, expiry; tasks.poll_due) and hands changes that wait for a worker to
one (followups.sweep). Between sweeps it waits GENERATION_POLLER_INTERVAL_SECONDS, or less: on
PostgreSQL it LISTENs for polling.wake(), which a new or approved generation sends as it
commits, so a submission starts at once. django-q2 schedules have minute granularity, too coarse
for this, so the loop runs next to `qcluster`. Several pollers may run: claims never overlap.
"""

from __future__ import annotations

import logging
import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection

from generations import followups, polling
from generations.tasks import poll_due
from ops import heartbeats

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Sweep due generations and waiting follow-ups every few seconds (run beside qcluster)."

    # Patched by tests, so the loop never really waits.
    sleep = staticmethod(time.sleep)

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run one sweep and exit.")
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            help="Longest wait between sweeps in seconds (GENERATION_POLLER_INTERVAL_SECONDS).",
        )

    def handle(self, once=False, interval=None, **options):
        interval = settings.GENERATION_POLLER_INTERVAL_SECONDS if interval is None else interval
        if once:
            self.stdout.write(f"{self.sweep()} due")
            return
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        self.stdout.write(f"Poller: sweeping due generations at least every {interval:g} s")
        self.listener = self._listen()
        self.loop(interval)

    def loop(self, interval: float) -> None:
        self.running = True
        last_beat = 0.0
        while self.running:
            # Drop connections the database closed meanwhile (restarts, CONN_MAX_AGE).
            close_old_connections()
            claimed = self.sweep()
            if time.monotonic() - last_beat >= settings.HEARTBEAT_INTERVAL_SECONDS:
                last_beat = self.heartbeat()
            if claimed < settings.GENERATION_POLL_BATCH:
                self.wait(interval)

    def sweep(self) -> int:
        try:
            due = poll_due()
            followups.sweep()
            return due
        except Exception:
            # A bad sweep (database restarting, a bug in one row) must not stop the clock.
            log.exception("poll sweep failed")
            return 0

    def heartbeat(self) -> float:
        """Tell /readyz this poller's loop is turning (ops.heartbeats). Returns when it beat."""
        try:
            heartbeats.beat("poller")
        except Exception:
            log.exception("poller heartbeat failed")
        return time.monotonic()

    listener = None

    def wait(self, interval: float) -> None:
        """Sleep until the interval is over or polling.wake() is heard, whichever comes first."""
        if self.listener is None:
            self.sleep(interval)
            return
        try:
            for _ in self.listener.notifies(timeout=interval, stop_after=1):
                pass
        except Exception:
            log.exception("lost the wake-up connection; sweeping on the interval")
            self.listener = None

    def _listen(self):
        """A connection of its own that LISTENs for wake-ups (PostgreSQL), or None."""
        if connection.vendor != "postgresql":
            return None
        listener = connection.get_new_connection(connection.get_connection_params())
        listener.autocommit = True
        listener.execute(f"LISTEN {polling.WAKE_CHANNEL}")
        return listener

    def _stop(self, *args):
        self.running = False
