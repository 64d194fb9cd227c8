"""Request rate limits per API key and per tenant (settings API_THROTTLE_KEY / _TENANT).

Counters live in the default cache: per process with the local-memory cache, shared by every
web process once REDIS_URL is set. A refused request gets 429 `rate_limited` with Retry-After.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import ApiKey


class _ApiKeyScopedThrottle(SimpleRateThrottle):
    setting: str

    def get_rate(self):
        # Read at request time (DRF reads its rates once at import), so settings can change them.
        return getattr(settings, self.setting)

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, ApiKey):
            return None  # unauthenticated requests are refused before they cost anything
        return f"throttle_{self.scope}_{self.ident_for(request.auth)}"

    def ident_for(self, api_key: ApiKey):
        raise NotImplementedError


class PerKeyThrottle(_ApiKeyScopedThrottle):
    scope = "api_key"
    setting = "API_THROTTLE_KEY"

    def ident_for(self, api_key: ApiKey):
        return api_key.pk


class PerTenantThrottle(_ApiKeyScopedThrottle):
    scope = "tenant"
    setting = "API_THROTTLE_TENANT"

    def ident_for(self, api_key: ApiKey):
        return api_key.tenant_id
