"""A circuit breaker per provider: one whose recent create calls mostly fail is skipped for a while.

The last PROVIDER_BREAKER_WINDOW create-call outcomes of each provider are kept in the cache
(Redis when configured, so every web process and worker shares them). When at least
PROVIDER_BREAKER_MIN_CALLS are known and more than PROVIDER_BREAKER_FAILURE_RATIO of them
failed, the breaker opens: routing (`auto`, `cheapest`, `fastest`) and failover skip the provider
for PROVIDER_BREAKER_COOLDOWN_SECONDS. Then it closes by itself with a clean slate, so the next
jobs try the provider again; if they fail too, it opens again. A provider named explicitly in a
request is never skipped. Concurrent updates may lose an outcome now and then: this is a health
estimate, not an account. Routing reads the states through a process-local copy refreshed every
REFRESH_SECONDS (one cache round trip for every provider), so the hot create path does not ask
the cache each time; an opened breaker reaches the other processes within that time.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache

PREFIX = "provider-health:"
REFRESH_SECONDS = 2.0

# slug -> open_until (Unix time), as last read; monotonic time of that read.
_seen: dict[str, float] = {}
_seen_at: float | None = None


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
    if _seen_at is not None:
        _seen[slug] = state["open_until"]


def is_open(slug: str) -> bool:
    """True while the provider is being skipped."""
    return _state(slug)["open_until"] > time.time()


def open_slugs(slugs: list[str]) -> set[str]:
    """Those of `slugs` being skipped now (from the process-local copy, see above)."""
    global _seen, _seen_at
    stale = _seen_at is None or time.monotonic() - _seen_at > REFRESH_SECONDS
    if stale or not set(slugs) <= set(_seen):
        states = cache.get_many([_key(slug) for slug in slugs])
        _seen = {slug: states.get(_key(slug), {}).get("open_until", 0.0) for slug in slugs}
        _seen_at = time.monotonic()
    now = time.time()
    return {slug for slug in slugs if _seen.get(slug, 0.0) > now}


def forget() -> None:
    """Drop the process-local copy (tests, after clearing the cache)."""
    global _seen_at
    _seen.clear()
    _seen_at = None


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
