"""A circuit breaker per provider: one whose recent create calls mostly fail is skipped for a while.

The last PROVIDER_BREAKER_WINDOW create-call outcomes of each provider are kept in the cache
(Redis when configured, so every web process and worker shares them). When at least
PROVIDER_BREAKER_MIN_CALLS are known and more than PROVIDER_BREAKER_FAILURE_RATIO of them
failed, the breaker opens: routing (`auto`, `cheapest`, `fastest`) and failover skip the provider
for PROVIDER_BREAKER_COOLDOWN_SECONDS. Then it closes by itself with a clean slate, so the next
jobs try the provider again; if they fail too, it opens again. A provider named explicitly in a
request is never skipped. Concurrent updates may lose an outcome now and then: this is a health
estimate, not an account.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache

PREFIX = "provider-health:"


def _key(slug: str) -> str:
    return f"{PREFIX}{slug}"


def _state(slug: str) -> dict:
    return cache.get(_key(slug)) or {"calls": [], "open_until": 0.0}


def record(slug: str, ok: bool) -> None:
    """Count one create call's outcome; opens the breaker when the recent calls mostly failed."""
    state = _state(slug)
    calls = ([*state["calls"], bool(ok)])[-settings.PROVIDER_BREAKER_WINDOW :]
    failures = calls.count(False)
    if (
        len(calls) >= settings.PROVIDER_BREAKER_MIN_CALLS
        and failures / len(calls) > settings.PROVIDER_BREAKER_FAILURE_RATIO
    ):
        state = {"calls": [], "open_until": time.time() + settings.PROVIDER_BREAKER_COOLDOWN_SECONDS}
    else:
        state = {**state, "calls": calls}
    cache.set(_key(slug), state, timeout=None)


def is_open(slug: str) -> bool:
    """True while the provider is being skipped."""
    return _state(slug)["open_until"] > time.time()


def status(slug: str) -> dict:
    """For GET /api/v1/providers: whether it is skipped, until when, and the calls counted since."""
    state = _state(slug)
    skipped = state["open_until"] > time.time()
    return {
        "skipped": skipped,
        "skipped_until": int(state["open_until"]) if skipped else None,
        "recent_calls": len(state["calls"]),
        "recent_failures": state["calls"].count(False),
    }
