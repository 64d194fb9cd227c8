"""Access control for portal views: log in, belong to a team, and hold the role's permission."""

from __future__ import annotations

from functools import wraps

from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect

from accounts.models import Role

# What each permission lets you do, in words, for the 403 page.
PERMISSION_WORDS = {
    "view": "see this team's work",
    "create": "create generations",
    "manage_keys": "manage API keys",
    "manage_members": "manage team members",
    "manage_billing": "manage billing",
    "manage_webhooks": "manage webhooks",
    "view_audit": "see the audit log",
}


def needs_second_factor(request) -> bool:
    """An owner of a team that requires a second factor, without one set up."""
    membership = request.membership
    return (
        membership.role == Role.OWNER
        and membership.tenant.require_owner_mfa
        and not is_mfa_enabled(request.user)
    )


def tenant_required(permission: str = "view"):
    """Require a logged-in user with a current team whose role grants `permission`.

    Users without any team are sent to create one. A role without the permission gets 403
    (the portal hides such buttons, so reaching this means a hand-made request).
    request.membership is a SimpleLazyObject: test its truthiness, never `is None`.
    """

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.membership:
                return redirect("accounts:new_team")
            if needs_second_factor(request):
                messages.warning(
                    request,
                    f"{request.tenant.name} asks its owners to use two-factor authentication: "
                    "set up an authenticator app to continue.",
                )
                return redirect("mfa_activate_totp")
            if not request.membership.can(permission):
                role = request.membership.get_role_display().lower()
                words = PERMISSION_WORDS.get(permission, permission)
                raise PermissionDenied(f"Your role in this team ({role}) does not allow you to {words}.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
