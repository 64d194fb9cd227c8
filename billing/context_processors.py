"""The low-balance banner on every portal page (templates/billing/_low_balance_banner.html)."""

from __future__ import annotations

from billing import low_balance


def low_balance_warning(request):
    """`low_balance`: a callable the banner calls, so only pages that show it pay its one query;
    it returns the team's LowBalance (available credits, threshold) when below, else None."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    membership = getattr(request, "membership", None)
    if not membership:
        return {}
    tenant_id = membership.tenant_id
    return {"low_balance": lambda: low_balance.warning_for(tenant_id)}
