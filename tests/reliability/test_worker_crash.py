"""A worker process SIGKILLed in the middle of a batch, then restarted: nothing lost, nothing doubled.

The worker is a real subprocess (tests/reliability/worker_process.py) running the poller's sweep
and the tasks against this test's database. It is killed while a create call has reached the
provider but its answer is not recorded: the task exists upstream and we do not know its id.
A restarted worker (running past the dead one's claims and leases) must finish every job,
adopt that task from the provider's callback instead of submitting the job again, and settle
each job once.
"""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

from generations.models import Generation, GenerationChange, Status
from generations.sandbox.models import SandboxTask
from generations.services import create_generation
from generations.spec import GenerationSpec
from tests.reliability.conftest import assert_nothing_lost, funded, reliability

pytestmark = reliability

ROOT = Path(__file__).resolve().parents[2]
JOBS = 6


def start_worker(tmp_path, **env):
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    environment = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "seedance_site.settings",
        "SANDBOX_ENABLED": "True",
        "SANDBOX_DELAY_SECONDS": "0",
        "SITE_URL": settings.SITE_URL,
        "LOG_LEVEL": "ERROR",
        "RELIABILITY_STALL_FILE": str(tmp_path / "stalled"),
        **env,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.worker_process"], cwd=ROOT, env=environment
    )


def wait_for(condition, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the worker"
        time.sleep(0.05)


def test_a_worker_killed_mid_batch_loses_and_doubles_nothing(customer, no_background, tmp_path):
    funded(customer, 10_000)
    [
        create_generation(
            customer, spec=GenerationSpec(prompt=f"A cat yawning, take {n}"), provider="sandbox"
        )
        for n in range(JOBS)
    ]
    # Due now, as if the on-commit enqueue had been lost: the worker's sweep submits them.
    Generation.objects.update(next_poll_at=timezone.now())

    worker = start_worker(tmp_path, RELIABILITY_STALL_ON_CREATE="3")
    try:
        wait_for((tmp_path / "stalled").exists)
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        worker.kill()
        worker.wait()
    stranded = Generation.objects.get(prompt=SandboxTask.objects.order_by("created_at")[2].prompt)
    assert stranded.status == Status.PENDING and stranded.provider_task_id == ""
    assert stranded.submission_started_at is not None  # the marker the restarted worker resolves

    # Restart it past the dead worker's claim leases (60 s) and submission lease (300 s).
    lease = timedelta(seconds=settings.GENERATION_SUBMIT_LEASE_SECONDS + 60)
    restarted = start_worker(tmp_path, RELIABILITY_SHIFT_SECONDS=str(lease.total_seconds()))
    try:
        # Every job finished, and every change processed (the outbox's claims have leases too).
        wait_for(
            lambda: (
                not Generation.objects.filter(status__in=["pending", "queued", "running"]).exists()
                and not GenerationChange.objects.filter(processed_at=None).exists()
            )
        )
    finally:
        restarted.kill()
        restarted.wait()

    assert set(Generation.objects.values_list("status", flat=True)) == {Status.SUCCEEDED}
    # One provider task per job: the stranded create was adopted, never sent again.
    assert SandboxTask.objects.count() == JOBS
    assert (
        Generation.objects.get(pk=stranded.pk).provider_task_id
        == SandboxTask.objects.order_by("created_at")[2].id
    )
    assert_nothing_lost(customer)
