"""API authentication: `Authorization: Bearer <key>` sets request.tenant and request.api_key."""

from __future__ import annotations

from rest_framework import authentication, exceptions, permissions

from accounts.models import ApiKey


class InvalidApiKey(exceptions.AuthenticationFailed):
    default_code = "invalid_api_key"
    default_detail = "Unknown, revoked or expired API key."


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        scheme, _, key = header.partition(" ")
        if scheme.lower() != self.keyword.lower() or not key.strip():
            raise InvalidApiKey("Send the API key as 'Authorization: Bearer <key>'.")
        api_key = ApiKey.authenticate(key.strip())
        if api_key is None:
            raise InvalidApiKey()
        # Visible to views and to Django middleware alike.
        request.tenant = request._request.tenant = api_key.tenant
        request.api_key = request._request.api_key = api_key
        return (None, api_key)

    def authenticate_header(self, request):
        return self.keyword


class HasApiKey(permissions.BasePermission):
    """DRF's IsAuthenticated looks at the user; API callers are keys, not users."""

    message = "Authentication credentials were not provided: send 'Authorization: Bearer <key>'."
    code = "not_authenticated"

    def has_permission(self, request, view):
        if isinstance(request.auth, ApiKey):
            return True
        raise exceptions.NotAuthenticated(self.message)
