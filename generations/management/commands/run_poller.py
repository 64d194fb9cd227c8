"""The lifecycle's clock: run tasks.poll_due() every few seconds, forever.

django-q2 schedules have minute granularity, too coarse for 5-second polls, so this small loop
runs next to `qcluster`. It only claims due rows and enqueues tasks (or settles lost
submissions); the worker does the provider calls. Several pollers may run: claims never
overlap (SKIP LOCKED on PostgreSQL, conditional UPDATEs on SQLite).
"""

from __future__ import annotations

import logging
import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from generations.tasks import poll_due
from ops import heartbeats

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Poll providers for due generations every few seconds (run beside qcluster)."

    # Patched by tests, so the loop never really waits.
    sleep = staticmethod(time.sleep)

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run one sweep and exit.")
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            help="Seconds between sweeps (GENERATION_POLLER_INTERVAL_SECONDS).",
        )

    def handle(self, once=False, interval=None, **options):
        interval = settings.GENERATION_POLLER_INTERVAL_SECONDS if interval is None else interval
        if once:
            self.stdout.write(f"{self.sweep()} due")
            return
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        self.stdout.write(f"Poller: sweeping due generations every {interval:g} s")
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
                self.sleep(interval)

    def sweep(self) -> int:
        try:
            return poll_due()
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

    def _stop(self, *args):
        self.running = False
