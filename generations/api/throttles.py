"""Request rate limits: per API key and per tenant (API_THROTTLE_KEY / _TENANT) for the API,
and per tenant for result downloads (DOWNLOAD_THROTTLE_TENANT), counted apart.

Counters are the `limits` library's moving windows, kept in RATE_LIMIT_STORAGE_URL: Redis in
production, where each hit is one atomic Lua script, so with a limit of 50/min at most 50
requests pass however many web processes share the Redis. Without Redis (development) the
counters are per process.

A request is first tested against all its windows and only then counted, so a request refused
by one limit does not use up another (two racing requests may each count once on a window
that then refuses one of them; never is a request let through past a limit). A refused request
gets 429 `rate_limited` with Retry-After: the longest wait among the refusing windows.
Rates are read at request time, so settings can change them.
"""

from __future__ import annotations

import math
import time
from functools import cache

from django.conf import settings
from limits import RateLimitItemPerDay, RateLimitItemPerHour, RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from rest_framework.throttling import BaseThrottle

from accounts.models import ApiKey

PERIODS = {
    "s": RateLimitItemPerSecond,
    "m": RateLimitItemPerMinute,
    "h": RateLimitItemPerHour,
    "d": RateLimitItemPerDay,
}
NAMESPACE = "seedance-throttle"


def parse_rate(rate: str):
    """ "120/min" -> a limits item allowing 120 requests per 60 seconds."""
    allowed, period = rate.split("/")
    return PERIODS[period[0]](int(allowed), namespace=NAMESPACE)


@cache
def _limiter(url: str) -> MovingWindowRateLimiter:
    return MovingWindowRateLimiter(storage_from_string(url))


def limiter() -> MovingWindowRateLimiter:
    return _limiter(settings.RATE_LIMIT_STORAGE_URL)


def reset() -> None:
    """Forget every counter (tests: ids repeat between them)."""
    limiter().storage.reset()


def check(windows: list[tuple[str, str]]) -> float | None:
    """Count one request against each (rate, key) window if all allow it; else the seconds to
    wait before trying again (nothing counted)."""
    rate_limiter = limiter()
    items = [(parse_rate(rate), key) for rate, key in windows]
    full = [(item, key) for item, key in items if not rate_limiter.test(item, key)]
    if not full:
        if all(rate_limiter.hit(item, key) for item, key in items):
            return None
        full = [(item, key) for item, key in items if not rate_limiter.test(item, key)] or items
    now = time.time()
    return max(max(0.0, rate_limiter.get_window_stats(item, key).reset_time - now) for item, key in full)


class ApiKeyThrottle(BaseThrottle):
    retry_after: float | None = None

    def allow_request(self, request, view) -> bool:
        api_key = request.auth
        if not isinstance(api_key, ApiKey):
            return True  # unauthenticated requests are refused before they cost anything
        self.retry_after = check(
            [
                (settings.API_THROTTLE_KEY, f"api-key-{api_key.pk}"),
                (settings.API_THROTTLE_TENANT, f"tenant-{api_key.tenant_id}"),
            ]
        )
        return self.retry_after is None

    def wait(self) -> float | None:
        return math.ceil(self.retry_after) if self.retry_after is not None else None


def download_wait(tenant_id: int) -> float | None:
    """Count a result download for the tenant; the seconds to wait when over its limit."""
    wait = check([(settings.DOWNLOAD_THROTTLE_TENANT, f"download-tenant-{tenant_id}")])
    return math.ceil(wait) if wait is not None else None


class DownloadThrottle(BaseThrottle):
    """Result downloads through the API: the tenant's download limit instead of the API's."""

    retry_after: float | None = None

    def allow_request(self, request, view) -> bool:
        api_key = request.auth
        if not isinstance(api_key, ApiKey):
            return True
        self.retry_after = download_wait(api_key.tenant_id)
        return self.retry_after is None

    def wait(self) -> float | None:
        return self.retry_after
