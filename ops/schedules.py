"""Every periodic task of the product, in one list. `manage.py schedules` creates or updates
the django-q2 Schedule rows from it (run by `make run`, CI and `deploy/run release`), so a
deploy always runs exactly these; no migration defines a schedule.

The lifecycle's own clock is `manage.py run_poller` (seconds, not minutes); the once-a-minute
generation sweeps below are its safety net when no poller runs.
"""

from __future__ import annotations

from dataclasses import dataclass

MINUTES, HOURLY, DAILY = "I", "H", "D"


@dataclass(frozen=True)
class Periodic:
    name: str
    func: str  # dotted path of a function that takes no arguments and returns a short text
    schedule_type: str
    minutes: int | None = None  # for MINUTES


SCHEDULES = [
    # Due polls, submissions and expiries, and changes waiting for the outbox worker.
    Periodic("generations-poll-due", "generations.tasks.poll_due", MINUTES, 1),
    Periodic("generations-followups", "generations.followups.sweep", MINUTES, 1),
    # Webhook retries that are due, and deliveries whose on-commit enqueue was lost.
    Periodic("webhooks.sweep_deliveries", "generations.webhooks.tasks.sweep_deliveries", MINUTES, 1),
    # Result files past their tenant's retention_days.
    Periodic("results.purge_expired", "generations.results.purge_expired_results", DAILY),
    # Uploaded images and hosted copies past their expiry.
    Periodic("files.purge_expired", "generations.files.purge_expired", HOURLY),
    # Idempotency records past their lifetime.
    Periodic("api.prune_idempotency_records", "generations.api.idempotency.prune", DAILY),
    # Automatic recharges that are due.
    Periodic("billing-auto-recharge", "billing.payments.recharge.run_due", MINUTES, 1),
    # The sandbox's completion callbacks that failed and are due again (a no-op when it is off).
    Periodic("sandbox-callbacks", "generations.sandbox.callbacks.deliver_due_callbacks", MINUTES, 1),
]

# Schedules earlier versions created, deleted by `manage.py schedules`.
RETIRED = ["results.sweep_unmirrored"]
