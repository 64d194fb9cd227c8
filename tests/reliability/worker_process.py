"""A worker for test_worker_crash.py, run as its own process: `python -m tests.reliability.worker_process`.

It is the lifecycle's worker loop (run_poller's sweeps, with django-q2 in sync mode so each
enqueued task runs at once in this process) plus the sandbox's callback sender, with every
provider served in-process. Environment:
- RELIABILITY_STALL_ON_CREATE=N: after the N-th create call reached the sandbox (the task
  exists upstream, its answer not yet recorded), write RELIABILITY_STALL_FILE and hang, so
  the test can SIGKILL the process at the most ambiguous moment;
- RELIABILITY_SHIFT_SECONDS: run this many seconds in the future (claims and leases the
  killed worker left behind have run out), with time-machine.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path


def main() -> None:
    import django

    django.setup()
    import time_machine
    from django.conf import settings
    from django.utils import timezone
    from django_q.conf import Conf

    from generations import followups
    from generations.providers import transport
    from generations.sandbox.callbacks import deliver_due_callbacks
    from generations.sandbox.testing import harness
    from generations.tasks import poll_due
    from generations.webhooks import outbox

    Conf.SYNC = True
    # Webhook deliveries stay in their table: the test counts the rows.
    outbox.enqueue = lambda *args, **kwargs: None

    stall_on = int(os.environ.get("RELIABILITY_STALL_ON_CREATE", "0"))
    creates = 0
    real_send = transport.send

    def send(request):
        nonlocal creates
        response = real_send(request)
        if request.method == "POST" and "/sandbox/" in str(request.url):
            creates += 1
            if creates == stall_on:
                Path(os.environ["RELIABILITY_STALL_FILE"]).write_text("stalled")
                time.sleep(3600)  # killed here
        return response

    transport.send = send
    shift = float(os.environ.get("RELIABILITY_SHIFT_SECONDS", "0"))
    future = timezone.now() + timedelta(seconds=shift)
    with time_machine.travel(future, tick=True), harness(settings):
        while True:
            claimed = poll_due() + followups.sweep()
            deliver_due_callbacks()
            if not claimed:
                time.sleep(0.05)


if __name__ == "__main__":
    main()
