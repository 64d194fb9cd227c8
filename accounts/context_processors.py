from accounts.models import ROLE_PERMISSIONS, Role


def tenancy(request):
    """The current tenant and the user's other tenants, for the header and the switcher."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    membership = getattr(request, "membership", None)
    return {
        "current_membership": membership if membership else None,
        "current_tenant": membership.tenant if membership else None,
        "user_memberships": user.memberships.select_related("tenant"),
        # What the current role may do, so templates hide buttons the server would refuse.
        "tenant_perms": ROLE_PERMISSIONS[Role(membership.role)] if membership else set(),
    }
