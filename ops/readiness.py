"""/readyz: can this deployment do its work right now?

Each part is a django-health-check check; the answer is 200 when all pass, else 503, and the
JSON body names each part and what is wrong with it:

    {"status": "unavailable", "failing": ["poller"],
     "checks": {"database": "ok", "redis": "ok", "storage": "ok", "worker": "ok",
                "poller": "the newest poller heartbeat is 75 s old (limit 60 s)"}}

Parts (READINESS_CHECKS): database (SELECT 1), redis (PING, when REDIS_URL is set), storage
(write, read and delete a small file in the default storage: S3 or MEDIA_ROOT), worker and
poller (heartbeats, ops.heartbeats). The checks run one after another in the request's thread;
each has a short timeout of its own (database connect, Redis socket, S3 client).
/healthz stays the cheap liveness check of this one process.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging

from django.conf import settings
from django.http import JsonResponse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET
from health_check.base import HealthCheck
from health_check.checks import Database, Storage
from health_check.exceptions import HealthCheckException, ServiceUnavailable

from ops import heartbeats

log = logging.getLogger(__name__)


@dataclasses.dataclass
class HeartbeatCheck(HealthCheck):
    """The role's newest heartbeat is at most HEARTBEAT_MAX_AGE_SECONDS old."""

    role: str = "worker"

    def run(self) -> None:
        problem = heartbeats.stale(self.role)
        if problem:
            raise ServiceUnavailable(problem)


@dataclasses.dataclass
class StorageCheck(Storage):
    """health_check's save/read/delete round trip; a client error (S3 down) is 'unavailable'."""

    def run(self) -> None:
        try:
            super().run()
        except HealthCheckException:
            raise
        except Exception as exc:
            raise ServiceUnavailable(f"{type(exc).__name__}: {exc}") from exc


def _redis_check():
    if not settings.REDIS_URL:
        return None
    from health_check.contrib.redis import Redis
    from redis.asyncio import Redis as RedisClient

    return Redis(
        client_factory=lambda: RedisClient.from_url(
            settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2
        )
    )


def checks() -> dict[str, object]:
    """The configured parts, by name; None for a part that does not apply (no Redis)."""
    available = {
        "database": Database,
        "redis": _redis_check,
        "storage": StorageCheck,
        "worker": lambda: HeartbeatCheck(role="worker"),
        "poller": lambda: HeartbeatCheck(role="poller"),
    }
    return {name: available[name]() for name in settings.READINESS_CHECKS if name in available}


def run_check(check) -> str:
    """'ok', or what is wrong (never raises)."""
    try:
        if asyncio.iscoroutinefunction(check.run):
            asyncio.run(check.run())
        else:
            check.run()
    except HealthCheckException as exc:
        return exc.message
    except Exception as exc:
        log.exception("readiness check %r failed unexpectedly", check)
        return f"{type(exc).__name__}: {exc}"
    return "ok"


@require_GET
def readyz(request):
    results = {
        name: run_check(check) if check is not None else "not configured" for name, check in checks().items()
    }
    failing = [name for name, result in results.items() if result not in ("ok", "not configured")]
    if failing:
        log.warning("not ready: %s", ", ".join(f"{name}: {results[name]}" for name in failing))
    response = JsonResponse(
        {"status": "unavailable" if failing else "ok", "failing": failing, "checks": results},
        status=503 if failing else 200,
    )
    add_never_cache_headers(response)
    return response
