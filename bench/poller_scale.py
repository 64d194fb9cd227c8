"""Benchmark 2: thousands of in-flight sandbox jobs driven to completion by the real worker.

For each mode (provider callbacks on, then off) a fresh tenant gets `--jobs` generations that
were just submitted to the sandbox (bulk-inserted: rows, sandbox tasks and credit holds exactly
as the services leave them), then `manage.py qcluster` and `manage.py run_poller` start and the
bench waits until every job is terminal. gunicorn serves the sandbox and our callback views;
its access log counts the provider status calls. With callbacks on, a thread in this process
plays the provider's side and sends each completion callback as its task finishes.

Time is compressed by `--scale` (5): the poll schedule (first poll with callbacks 30 s, backoff
5 s doubling to 60 s, the learned schedule's 4 s cadence) and the task durations (0 to 120 s) are all divided by it, so calls per
job are what production would see while a run takes a fifth of the time.

Printed (targets never asserted): jobs/s, status calls per job (≤ 1.5 with callbacks, ≤ 8
without), time to drain, peak RSS of the worker (flat, < 300 MB) and the books (reconcile).
"""

from __future__ import annotations

import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from bench import harness

PRICE = 32  # 8 s at 720p, from the default price table
TASK_SECONDS = 120  # production-equivalent longest task; durations are uniform in [0, this]
STATUS_PATH = "GET /sandbox/ark/api/v3/contents/generations/tasks/"


def compress_time(scale: float) -> None:
    """The poll schedule, divided by `scale`, for this process and the worker processes."""
    os.environ["GENERATION_FIRST_POLL_WITH_CALLBACK_SECONDS"] = str(max(1, round(30 / scale)))
    os.environ["GENERATION_POLL_MIN_SECONDS"] = str(max(1, round(5 / scale)))
    os.environ["GENERATION_POLL_MAX_SECONDS"] = str(max(1, round(60 / scale)))
    os.environ["GENERATION_POLL_CADENCE_SECONDS"] = str(max(1, round(4 / scale)))
    os.environ["GENERATION_POLLER_INTERVAL_SECONDS"] = str(2 / scale)


def seed(tenant, jobs: int, *, mode: str, scale: float) -> list[tuple[float, str]]:
    """`jobs` queued generations with their sandbox tasks and holds; returns (finish time, task
    id) for the provider-side callback sender."""
    from django.db.models import F
    from django.utils import timezone

    from billing.models import CreditAccount
    from generations import polling, services
    from generations.models import Generation, Hold, Status
    from generations.sandbox.models import SandboxTask

    now, rng = timezone.now(), random.Random(jobs)
    first_poll = polling.first_poll_at(Generation(provider="sandbox"), now) - now  # nothing learned yet
    finishing = []
    for start in range(0, jobs, 2000):
        generations, tasks = [], []
        for n in range(start, min(start + 2000, jobs)):
            task_id = f"cgt-bench-{mode}-{n:06d}"
            prompt = f"A cat yawning at the camera, take {n}"
            generation = Generation(
                tenant=tenant,
                provider="sandbox",
                prompt=prompt,
                status=Status.QUEUED,
                quoted=PRICE,
                held=PRICE,
                hold_state=Hold.HELD,
                provider_task_id=task_id,
                created_at=now,
                submitted_at=now,
                next_poll_at=now + first_poll,
                deadline=now + polling.deadline_for("sandbox"),
            )
            callback = services.callback_url_for(generation, "sandbox") if mode == "callbacks" else ""
            delay = rng.uniform(0, TASK_SECONDS / scale)
            body = {"model": "doubao-seedance-1-5-pro-251215", "content": [{"type": "text", "text": prompt}]}
            if callback:
                body["callback_url"] = callback
            tasks.append(
                SandboxTask(
                    id=task_id,
                    provider="ark",  # the `sandbox` provider speaks Ark's protocol
                    prompt=prompt,
                    request=body,
                    callback_url=callback,
                    created_at=now,
                    delay_seconds=delay,
                )
            )
            generations.append(generation)
            finishing.append((time.monotonic() + delay, task_id))
        Generation.objects.bulk_create(generations)
        SandboxTask.objects.bulk_create(tasks)
    CreditAccount.objects.filter(tenant=tenant).update(held=F("held") + PRICE * jobs)
    return sorted(finishing)


class CallbackSender(threading.Thread):
    """The provider's side: sends each task's completion callback once the task is finished."""

    def __init__(self, finishing: list[tuple[float, str]]):
        super().__init__(daemon=True)
        self.finishing = finishing
        self.done = threading.Event()

    def run(self):
        from django.db import connections

        from generations.sandbox.callbacks import deliver
        from generations.sandbox.models import SandboxTask

        def send(task_id: str):
            try:
                deliver(SandboxTask.objects.get(pk=task_id))
            finally:
                connections.close_all()

        with ThreadPoolExecutor(4) as pool:
            for finish, task_id in self.finishing:
                while not self.done.is_set() and time.monotonic() < finish:
                    time.sleep(max(0.0, min(0.05, finish - time.monotonic())))
                if self.done.is_set():
                    return
                pool.submit(send, task_id)

    def stop(self):
        self.done.set()
        self.join()


def run_mode(server, mode: str, jobs: int, scale: float, timeout: float) -> dict:
    from django.db import connection
    from django_q.models import OrmQ

    from generations.holds import reconcile
    from generations.models import TERMINAL, Generation, Status

    tenant, _ = harness.make_tenant(f"Bench poller {mode}", PRICE * jobs * 2, max_in_flight=jobs * 2)
    finishing = seed(tenant, jobs, mode=mode, scale=scale)
    connection.close()
    log_before = len(server.access_lines())

    worker = harness.start(["qcluster"])
    poller = harness.start(["run_poller"])
    sampler = harness.RssSampler(worker.pid)
    poller_sampler = harness.RssSampler(poller.pid)
    sender = CallbackSender(finishing) if mode == "callbacks" else None
    started = time.monotonic()
    sampler.start()
    poller_sampler.start()
    if sender:
        sender.start()
    mine = Generation.objects.filter(tenant=tenant)
    next_mark, done = 0.25, 0
    try:
        while time.monotonic() - started < timeout:
            done = mine.filter(status__in=TERMINAL).count()
            while done >= next_mark * jobs and next_mark <= 1:
                sampler.mark(f"{next_mark:.0%}")
                next_mark += 0.25
            if done == jobs:
                break
            time.sleep(0.5)
        drained = time.monotonic() - started
        # Let the queue finish what the terminal jobs started (result mirrors, webhooks).
        while OrmQ.objects.exists() and time.monotonic() - started < timeout:
            time.sleep(0.5)
        queue_empty = time.monotonic() - started
    finally:
        if sender:
            sender.stop()
        harness.stop(poller)
        harness.stop(worker)
        sampler.stop()
        poller_sampler.stop()

    lines = server.access_lines()[log_before:]
    prefix = f"{STATUS_PATH}cgt-bench-{mode}-"
    status_calls = sum(prefix in line for line in lines)
    callbacks = sum("POST /callbacks/sandbox/" in line for line in lines)
    succeeded = mine.filter(status=Status.SUCCEEDED).count()
    result = {
        "mode": mode,
        "jobs": jobs,
        "terminal": done,
        "succeeded": succeeded,
        "drain_s": drained,
        "jobs_per_s": done / drained,
        "queue_empty_s": queue_empty,
        "status_calls_per_job": status_calls / jobs,
        "callbacks": callbacks,
        "peak_process_mb": sampler.peak_process,
        "peak_tree_mb": sampler.peak_tree,
        "poller_peak_mb": poller_sampler.peak_process,
        "marks": sampler.marks,
        "books": reconcile(tenant) or ["ledger == balance, holds == held"],
    }
    print(
        f"  {mode}: {done}/{jobs} terminal ({succeeded} succeeded) in {drained:.1f} s,"
        f" {status_calls} status calls, {callbacks} callbacks",
        flush=True,
    )
    return result


def run(*, jobs: int, scale: float, workers: int, timeout: float, modes: list[str]) -> None:
    port = harness.free_port()
    harness.configure(port)
    compress_time(scale)
    harness.fresh_database()
    harness.setup_django()
    from django_q.models import Schedule

    # The sandbox's once-a-minute callback sweep would send callbacks from inside our worker;
    # here the provider's side is CallbackSender, outside it, as with a real provider.
    Schedule.objects.filter(name="sandbox-callbacks").delete()
    results = []
    with harness.gunicorn(port, workers, access_log=True) as server:
        for mode in modes:
            results.append(run_mode(server, mode, jobs, scale, timeout))

    print()
    print(f"Poller scale: {jobs} jobs per mode, time compressed {scale:g}x, gunicorn {workers} workers,")
    print(f"qcluster with {os.environ.get('Q_WORKERS', '2')} workers (ORM broker) and one run_poller")
    targets = {"callbacks": 1.5, "no-callbacks": 8}
    for r in results:
        calls = r["status_calls_per_job"]
        target = targets[r["mode"]]
        print(
            f"{r['mode']:>13}: {r['jobs_per_s']:7.1f} jobs/s, drained in {r['drain_s']:6.1f} s"
            f" (queue empty at {r['queue_empty_s']:.1f} s); status calls/job {calls:.2f}"
            f" (target <= {target:g}: {'met' if calls <= target else 'MISSED'})"
        )
        marks = ", ".join(f"{label} {largest:.0f}/{tree:.0f}" for label, largest, tree in r["marks"])
        peak_ok = r["peak_tree_mb"] < 300
        print(
            f"{'':>13}  worker RSS peak: largest process {r['peak_process_mb']:.0f} MB,"
            f" whole qcluster tree (PSS) {r['peak_tree_mb']:.0f} MB ({'met' if peak_ok else 'MISSED'} < 300 MB);"
            f" largest/tree at {marks} MB drained; poller {r['poller_peak_mb']:.0f} MB"
        )
        print(f"{'':>13}  books: {'; '.join(r['books'])}; unfinished {r['jobs'] - r['terminal']}")


def main(args) -> None:
    modes = {"both": ["callbacks", "no-callbacks"], "callbacks": ["callbacks"], "none": ["no-callbacks"]}
    run(
        jobs=args.jobs,
        scale=args.scale,
        workers=args.workers or 2 * (os.cpu_count() or 1) + 1,
        timeout=args.timeout,
        modes=modes[args.mode],
    )
