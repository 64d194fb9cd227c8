"""Benchmark 1: POST /api/v1/generations against the floor, at concurrency 1, 8 and 32.

gunicorn serves both endpoints from one process set; no worker runs, so only the request
path counts (the submissions wait in the task queue). Floor and API runs are interleaved,
alternating which goes first, and each figure is the median over the rounds, because results
on a small machine drift by ±30 % from minute to minute. Targets (printed, never asserted):
at concurrency 8 the API reaches ≥ 60 % of the floor's requests/s, and its p99 is ≤ 3x the
floor's. Beside each run it reads the CPU time gunicorn's processes and PostgreSQL's spent
(/proc), per request: at c=8 both endpoints are CPU-bound on a small machine, so these say where
a difference in requests/s comes from.
"""

from __future__ import annotations

import json
import os

from bench import harness

CONCURRENCY = (1, 8, 32)
BODY = json.dumps({"prompt": "A cat yawning at the camera", "provider": "sandbox", "duration": 8})


def run(*, seconds: int, rounds: int, workers: int) -> dict:
    port = harness.free_port()
    harness.configure(port)
    harness.fresh_database()
    harness.setup_django()
    from django.db import connection

    from bench.floor import create_floor_tables
    from generations.models import Generation

    credits = 10**12  # never the limit: this measures speed, not refusals
    tenant, secret = harness.make_tenant("Bench API", credits)
    create_floor_tables(tenant.pk, credits)
    connection.close()  # gunicorn's workers and this process must not share a connection

    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {secret}"}
    targets = {"floor": "/bench/floor", "api": "/api/v1/generations"}
    results: dict[tuple[str, int], list[harness.LoadResult]] = {}
    cpu: dict[tuple[str, int], list[tuple[float, float]]] = {}  # (gunicorn, PostgreSQL) ms per request
    with harness.gunicorn(port, workers) as server:
        for path in targets.values():  # warm up: imports, connections, caches
            harness.wrk(server.url + path, body=BODY, headers=headers, connections=8, seconds=2)
        for round_no in range(rounds):
            order = list(targets.items()) if round_no % 2 == 0 else list(targets.items())[::-1]
            for concurrency in CONCURRENCY:
                for name, path in order:
                    web, pg = harness.tree_cpu_seconds(server.process.pid), harness.postgres_cpu_seconds()
                    result = harness.wrk(
                        server.url + path,
                        body=BODY,
                        headers=headers,
                        connections=concurrency,
                        seconds=seconds,
                    )
                    per_request = 1000 / max(result.requests, 1)
                    web = (harness.tree_cpu_seconds(server.process.pid) - web) * per_request
                    pg = (harness.postgres_cpu_seconds() - pg) * per_request
                    results.setdefault((name, concurrency), []).append(result)
                    cpu.setdefault((name, concurrency), []).append((web, pg))
                    print(
                        f"  round {round_no + 1} c={concurrency:<2} {name:5} {result.requests_per_second:8.1f} req/s"
                        f"  p50 {result.p50_ms:7.2f} ms  p99 {result.p99_ms:7.2f} ms  errors {result.errors}"
                        f"  CPU/request: gunicorn {web:.2f} ms, PostgreSQL {pg:.2f} ms",
                        flush=True,
                    )
    created = Generation.objects.filter(tenant=tenant).count()
    return report(results, cpu, created=created, workers=workers, seconds=seconds, rounds=rounds)


def report(results, cpu, *, created: int, workers: int, seconds: int, rounds: int) -> dict:
    def med(name, c, attr):
        return harness.median(getattr(r, attr) for r in results[(name, c)])

    print()
    print(f"API create vs floor: gunicorn {workers} sync workers, {rounds} rounds x {seconds} s, medians")
    print(f"{'c':>3} {'floor req/s':>12} {'api req/s':>10} {'ratio':>6}   {'floor p50':>9} {'api p50':>8}"
          f"   {'floor p99':>9} {'api p99':>8} {'ratio':>6}")  # fmt: skip
    summary = {}
    for c in CONCURRENCY:
        floor_rps, api_rps = med("floor", c, "requests_per_second"), med("api", c, "requests_per_second")
        floor_p50, api_p50 = med("floor", c, "p50_ms"), med("api", c, "p50_ms")
        floor_p99, api_p99 = med("floor", c, "p99_ms"), med("api", c, "p99_ms")
        summary[c] = {
            "floor_rps": floor_rps, "api_rps": api_rps, "rps_ratio": api_rps / floor_rps,
            "floor_p50": floor_p50, "api_p50": api_p50,
            "floor_p99": floor_p99, "api_p99": api_p99, "p99_ratio": api_p99 / floor_p99,
        }  # fmt: skip
        print(f"{c:>3} {floor_rps:>12.1f} {api_rps:>10.1f} {api_rps / floor_rps:>6.0%}   {floor_p50:>7.2f}ms"
              f" {api_p50:>6.2f}ms   {floor_p99:>7.2f}ms {api_p99:>6.2f}ms {api_p99 / floor_p99:>5.1f}x")  # fmt: skip
    at8 = summary[8]
    errors = sum(r.errors for rs in results.values() for r in rs)
    print()
    print(f"target at c=8: api req/s >= 60% of floor: {at8['rps_ratio']:.0%} "
          f"({'met' if at8['rps_ratio'] >= 0.6 else 'MISSED'}); "
          f"api p99 <= 3x floor: {at8['p99_ratio']:.1f}x ({'met' if at8['p99_ratio'] <= 3 else 'MISSED'})")  # fmt: skip
    for name in ("floor", "api"):
        web = harness.median(w for w, _ in cpu[(name, 8)])
        pg = harness.median(p for _, p in cpu[(name, 8)])
        print(f"CPU per request at c=8, {name:5}: gunicorn {web:.2f} ms, PostgreSQL {pg:.2f} ms (medians)")
    print(f"non-2xx or socket errors: {errors}; generations created: {created}")
    return summary


def main(args) -> None:
    run(seconds=args.seconds, rounds=args.rounds, workers=args.workers or 2 * (os.cpu_count() or 1) + 1)
