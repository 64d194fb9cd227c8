"""Request rate limits per API key and per tenant (settings API_THROTTLE_KEY / _TENANT).

One throttle checks both limits with one cache read and one cache write (get_many/set_many):
with Redis that is two round trips per request, where DRF's one-throttle-per-limit takes four.
The windows slide, as DRF's do: each key keeps the times of its requests within the period,
newest first. A request counts against both limits only when both allow it. A refused request
gets 429 `rate_limited` with Retry-After, the longer of the two waits.

Counters live in the default cache: per process with the local-memory cache, shared by every
web process once REDIS_URL is set. Rates are read at request time, so settings can change them.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

from accounts.models import ApiKey

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "120/min" -> (120, 60): requests allowed, and the window in seconds."""
    allowed, period = rate.split("/")
    return int(allowed), PERIODS[period[0]]


class ApiKeyThrottle(BaseThrottle):
    retry_after: float | None = None

    def allow_request(self, request, view) -> bool:
        api_key = request.auth
        if not isinstance(api_key, ApiKey):
            return True  # unauthenticated requests are refused before they cost anything
        limits = {
            f"throttle_api_key_{api_key.pk}": parse_rate(settings.API_THROTTLE_KEY),
            f"throttle_tenant_{api_key.tenant_id}": parse_rate(settings.API_THROTTLE_TENANT),
        }
        now = time.time()
        stored = cache.get_many(list(limits))
        recent, waits = {}, []
        for key, (allowed, period) in limits.items():
            recent[key] = history = [t for t in stored.get(key, ()) if t > now - period]
            if len(history) >= allowed:
                # Room comes back when the request at position `allowed` (newest first) leaves.
                waits.append((history[allowed - 1] if allowed else now) + period - now)
        if waits:
            self.retry_after = max(waits)
            return False
        longest = max(period for _, period in limits.values())
        cache.set_many({key: [now, *history] for key, history in recent.items()}, timeout=longest)
        return True

    def wait(self) -> float | None:
        return self.retry_after
