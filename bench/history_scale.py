"""Benchmark 3: the list API and the history page for a tenant with 100 rows and one with 100 000.

Query counts come from the same requests run in-process (CaptureQueriesContext); times from
wrk at concurrency 1 against gunicorn, small and large tenant interleaved over the rounds, each
figure the median. Targets (printed, never asserted): the same number of queries for both
tenants, and the large tenant's time at most 2x the small one's.
"""

from __future__ import annotations

import os
import random
from datetime import timedelta

from bench import harness

STATUSES = ["succeeded"] * 6 + ["failed", "cancelled", "expired", "queued", "running"]


def seed(tenant, user, rows: int) -> None:
    """`rows` generations over the last 90 days, bulk-inserted (the create path is bench 1's)."""
    from django.db import connection
    from django.utils import timezone

    from generations.models import Generation

    now, rng = timezone.now(), random.Random(rows)
    batch = []
    for n in range(rows):
        status = rng.choice(STATUSES)
        created = now - timedelta(seconds=rng.randrange(90 * 24 * 3600))
        batch.append(
            Generation(
                tenant=tenant,
                created_by_user=user,
                provider="sandbox",
                prompt=f"A cat yawning at the camera, take {n}",
                status=status,
                quoted=32,
                charged=32 if status == "succeeded" else 0,
                created_at=created,
                finished_at=created + timedelta(minutes=2) if status not in ("queued", "running") else None,
            )
        )
        if len(batch) == 5000:
            Generation.objects.bulk_create(batch)
            batch = []
    Generation.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE generations_generation")


def session_cookie(user, tenant) -> str:
    """A logged-in portal session for `user` with `tenant` chosen, as the login view makes it."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.middleware import SESSION_KEY as TENANT_KEY

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[TENANT_KEY] = tenant.pk
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def count_queries(path: str, headers: dict[str, str]) -> tuple[int, int]:
    """(status code, queries) of one in-process request, after a warm-up request."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    client = Client(HTTP_HOST="127.0.0.1", **extra)
    client.get(path)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    return response.status_code, len(queries.captured_queries)


def run(*, rows_small: int, rows_large: int, seconds: int, rounds: int, workers: int) -> None:
    port = harness.free_port()
    harness.configure(port)
    harness.fresh_database()
    harness.setup_django()
    from django.db import connection

    from accounts.models import Membership, Role
    from tests.factories import make_user

    tenants = {}
    for label, rows in (("small", rows_small), ("large", rows_large)):
        tenant, secret = harness.make_tenant(f"Bench history {label}", 1000)
        user = make_user(f"{label}@bench.example")
        Membership.objects.create(user=user, tenant=tenant, role=Role.OWNER)
        seed(tenant, user, rows)
        tenants[label] = {
            "rows": rows,
            "api": ("/api/v1/generations", {"Authorization": f"Bearer {secret}"}),
            "page": ("/generations/", {"Cookie": session_cookie(user, tenant)}),
        }
        print(f"  seeded {rows} generations for the {label} tenant", flush=True)

    queries = {}
    for label, t in tenants.items():
        for surface in ("api", "page"):
            status, n = count_queries(*t[surface])
            if status != 200:
                raise SystemExit(f"{surface} for the {label} tenant answered {status}")
            queries[(label, surface)] = n
    connection.close()

    times: dict[tuple[str, str], list[harness.LoadResult]] = {}
    with harness.gunicorn(port, workers) as server:
        for t in tenants.values():  # warm up
            for path, headers in (t["api"], t["page"]):
                harness.wrk(server.url + path, headers=headers, connections=1, seconds=1)
        for round_no in range(rounds):
            labels = ["small", "large"] if round_no % 2 == 0 else ["large", "small"]
            for surface in ("api", "page"):
                for label in labels:
                    path, headers = tenants[label][surface]
                    result = harness.wrk(server.url + path, headers=headers, connections=1, seconds=seconds)
                    if result.errors:
                        raise SystemExit(f"{surface} for the {label} tenant: {result.errors} errors")
                    times.setdefault((label, surface), []).append(result)
                    print(f"  round {round_no + 1} {surface:4} {label:5} p50 {result.p50_ms:7.2f} ms"
                          f"  p99 {result.p99_ms:7.2f} ms", flush=True)  # fmt: skip

    print()
    print(
        f"History at scale: {rows_small} vs {rows_large} rows, wrk c=1, {rounds} rounds x {seconds} s, medians"
    )
    print(
        f"{'surface':8} {'queries':>15} {'p50 small':>10} {'p50 large':>10} {'ratio':>6} {'p99 small':>10} {'p99 large':>10}"
    )
    for surface, name in (("api", "list API"), ("page", "history")):
        q_small, q_large = queries[("small", surface)], queries[("large", surface)]
        p50 = [harness.median(r.p50_ms for r in times[(label, surface)]) for label in ("small", "large")]
        p99 = [harness.median(r.p99_ms for r in times[(label, surface)]) for label in ("small", "large")]
        ratio = p50[1] / p50[0]
        print(f"{name:8} {q_small:>6} vs {q_large:<6} {p50[0]:>8.2f}ms {p50[1]:>8.2f}ms {ratio:>5.2f}x"
              f" {p99[0]:>8.2f}ms {p99[1]:>8.2f}ms   "
              f"queries {'constant' if q_small == q_large else 'GROW'}, time {'met' if ratio <= 2 else 'MISSED'}")  # fmt: skip


def main(args) -> None:
    run(
        rows_small=args.small,
        rows_large=args.large,
        seconds=args.seconds,
        rounds=args.rounds,
        workers=args.workers or 2 * (os.cpu_count() or 1) + 1,
    )
