"""Benchmark 4: what a customer waits for beyond the provider's own time, per kind of provider.

Real processes on PostgreSQL with the production poll schedule (nothing compressed): gunicorn
serves our API and the sandbox, `manage.py qcluster` and `manage.py run_poller` do the work,
and the deploy's periodic schedules exist (`manage.py schedules`).
Sandbox tasks take `--job-seconds` (varied by SANDBOX_DELAY_SPREAD, ±15 %). Three kinds, each
on a fresh database so what the schedule learns from one kind does not steer another:

- `callbacks`: Kie through the sandbox, which calls back when the task finishes;
- `polling`: JieKou through the sandbox, which has no callbacks;
- `lost-callbacks`: Kie with every callback dropped (the `[sandbox:nocallback]` prompt marker).

Each kind first runs `--warmup` jobs (not measured) so the schedule has recent completions to
learn from, waits until the learned figures are fresh in every process, then starts `--jobs`
jobs `--stagger` seconds apart. A client thread per job polls GET /api/v1/generations/<id>
every 0.25 s until it sees `succeeded` with a `video_url`.

Printed per kind (targets never asserted): p50/p95 of (a) our 201 -> the provider's create
call (the sandbox task's creation time), (b) the provider finished (the task's end) -> the
client saw the video, and provider status calls per job (gunicorn's access log).
"""

from __future__ import annotations

import json
import os
import statistics
import threading
import time
from dataclasses import dataclass

from bench import harness

CLIENT_POLL_SECONDS = 0.25
KINDS = {
    "callbacks": ("kie", ""),
    "polling": ("jiekou", ""),
    "lost-callbacks": ("kie", " [sandbox:nocallback]"),
}
TARGETS = {"create": 0.3, "callbacks": 2.0, "polling": 8.0, "lost-callbacks": 8.0, "calls": 12}


@dataclass
class Job:
    id: str = ""
    created_at: float = 0.0  # wall clock when our 201 arrived
    seen_at: float = 0.0  # wall clock when the client saw succeeded + video_url
    status: str = ""


def submit(client, prompt: str, provider: str) -> Job:
    body = {"prompt": prompt, "provider": provider, "duration": 8}
    response = client.post("/api/v1/generations", content=json.dumps(body))
    if response.status_code != 201:
        raise SystemExit(f"create answered {response.status_code}: {response.text[:300]}")
    return Job(id=response.json()["id"], created_at=time.time())


def watch(client, job: Job, timeout: float) -> None:
    """Poll our API like a customer until the video is there (or the job ends otherwise)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data = client.get(f"/api/v1/generations/{job.id}").json()
        job.status = data.get("status", "")
        if job.status == "succeeded" and data.get("video_url"):
            job.seen_at = time.time()
            return
        if job.status in ("failed", "cancelled", "expired", "rejected"):
            return
        time.sleep(CLIENT_POLL_SECONDS)


def run_jobs(
    client_factory, provider: str, marker: str, count: int, stagger: float, tag: str, timeout: float
):
    jobs: list[Job] = []
    threads = []
    for n in range(count):
        client = client_factory()
        job = submit(client, f"A cat yawning at the camera, {tag} {n}{marker}", provider)
        jobs.append(job)
        thread = threading.Thread(target=watch, args=(client, job, timeout), daemon=True)
        thread.start()
        threads.append(thread)
        if n < count - 1:
            time.sleep(stagger)
    for thread in threads:
        thread.join()
    return jobs


def run_kind(kind: str, *, jobs: int, warmup: int, stagger: float, job_seconds: float, workers: int) -> dict:
    import httpx
    from django.db import connection

    provider, marker = KINDS[kind]
    connection.close()
    harness.fresh_database()
    harness.create_schedules()
    _, secret = harness.make_tenant(f"Bench latency {kind}", 10**9, max_in_flight=1000)
    connection.close()
    port = int(os.environ["SITE_URL"].rsplit(":", 1)[1])
    timeout = job_seconds * 4 + 300
    with harness.gunicorn(port, workers, access_log=True) as server:
        worker, poller = harness.start(["qcluster"]), harness.start(["run_poller"])
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {secret}"}

        def client_factory():
            return httpx.Client(base_url=server.url, headers=headers, timeout=30)

        try:
            started = time.monotonic()
            run_jobs(client_factory, provider, marker, warmup, 0.0, "warm-up", timeout)
            from generations import polling

            # Every process caches what it learned for LEARN_CACHE_SECONDS: let that turn over.
            if warmup:
                time.sleep(polling.LEARN_CACHE_SECONDS + 1)
            print(f"  {kind}: warm-up of {warmup} done in {time.monotonic() - started:.0f} s", flush=True)
            log_before = len(server.access_lines())
            measured = run_jobs(client_factory, provider, marker, jobs, stagger, "take", timeout)
        finally:
            harness.stop(poller)
            harness.stop(worker)
        lines = server.access_lines()[log_before:]
    return measure(kind, measured, lines)


def measure(kind: str, jobs: list[Job], access_lines: list[str]) -> dict:
    from generations.models import Generation
    from generations.sandbox.models import SandboxTask

    to_create, to_seen, calls, unfinished = [], [], [], 0
    for job in jobs:
        generation = Generation.objects.get(pk=job.id)
        task = SandboxTask.objects.filter(pk=generation.provider_task_id).first()
        if task is None or not job.seen_at:
            unfinished += 1
            continue
        to_create.append(task.created_at.timestamp() - job.created_at)
        to_seen.append(job.seen_at - task.completed_at.timestamp())
        calls.append(sum("GET /sandbox/" in line and task.id in line for line in access_lines))
    return {"kind": kind, "jobs": len(jobs), "unfinished": unfinished,
            "create": to_create, "seen": to_seen, "calls": calls}  # fmt: skip


def percentile(values: list[float], p: float) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def report(results: list[dict], *, job_seconds: float, workers: int) -> None:
    print()
    print(f"Latency: sandbox jobs of {job_seconds:g} s (±15 %), production poll schedule, gunicorn {workers}"
          f" workers, qcluster and run_poller; client polls every {CLIENT_POLL_SECONDS} s")  # fmt: skip
    print(f"{'kind':>15} {'jobs':>5}   {'201->create p50/p95':>20}   {'finished->seen p50/p95':>23}"
          f"   {'status calls/job mean/max':>25}")  # fmt: skip
    for r in results:
        create, seen, calls = r["create"], r["seen"], r["calls"] or [0]
        print(f"{r['kind']:>15} {r['jobs'] - r['unfinished']:>5}   {percentile(create, 50):>9.2f} / {percentile(create, 95):5.2f} s"
              f"   {percentile(seen, 50):>11.2f} / {percentile(seen, 95):5.2f} s"
              f"   {statistics.mean(calls):>17.2f} / {max(calls)}")  # fmt: skip
    print()
    for r in results:
        create_p50, seen_p95 = percentile(r["create"], 50), percentile(r["seen"], 95)
        calls = max(r["calls"] or [0])
        checks = [
            f"201->create p50 <= {TARGETS['create']} s: {'met' if create_p50 <= TARGETS['create'] else 'MISSED'}",
            f"seen p95 <= {TARGETS[r['kind']]:g} s: {'met' if seen_p95 <= TARGETS[r['kind']] else 'MISSED'}",
        ]
        if r["kind"] != "callbacks":
            checks.append(
                f"status calls <= {TARGETS['calls']}: {'met' if calls <= TARGETS['calls'] else 'MISSED'}"
            )
        print(f"{r['kind']:>15}: {'; '.join(checks)}; unfinished {r['unfinished']}")


def main(args) -> None:
    port = harness.free_port()
    os.environ["SANDBOX_DELAY_SECONDS"] = str(args.job_seconds)
    harness.configure(port)
    harness.fresh_database()
    harness.setup_django()
    workers = args.workers or 2 * (os.cpu_count() or 1) + 1
    kinds = list(KINDS) if args.kind == "all" else [args.kind]
    options = {
        "jobs": args.jobs,
        "warmup": args.warmup,
        "stagger": args.stagger,
        "job_seconds": args.job_seconds,
    }
    results = [run_kind(kind, workers=workers, **options) for kind in kinds]
    report(results, job_seconds=args.job_seconds, workers=workers)
