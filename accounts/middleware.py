"""Resolves the portal's current tenant: the one chosen in the session, else the first membership."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

SESSION_KEY = "tenant_id"


def current_membership(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    memberships = user.memberships.select_related("tenant").order_by("created")
    chosen = request.session.get(SESSION_KEY)
    if chosen is not None:
        membership = memberships.filter(tenant_id=chosen).first()
        if membership is not None:
            return membership
    return memberships.first()


class TenantMiddleware:
    """Sets request.membership and request.tenant lazily (no query unless a view asks)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = SimpleLazyObject(lambda: current_membership(request))
        request.tenant = SimpleLazyObject(lambda: _tenant_of(request.membership))
        return self.get_response(request)


def _tenant_of(membership):
    return membership.tenant if membership else None


def switch_tenant(request, tenant_id: int) -> bool:
    """Make tenant_id the session's tenant if the user belongs to it."""
    if not request.user.memberships.filter(tenant_id=tenant_id).exists():
        return False
    request.session[SESSION_KEY] = tenant_id
    return True
