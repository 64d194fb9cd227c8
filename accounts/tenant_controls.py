"""Staff controls on a tenant: suspend and lift (with a reason), review every job, the in-flight
cap. Each audited. (Credits are billing's: billing.credit_changes.)

Suspension refuses new work only (Tenant.ensure_can_create_work, called by every create);
jobs already accepted run to the end and settle as usual. The flags are set with conditional
UPDATEs, so a repeat (or two staff at once) changes nothing and writes no second audit row.
A suspension's reason is kept on the tenant (the team reads it in the portal's banner) and in
the audit note of both the suspension and its lifting.
"""

from __future__ import annotations

from django.db import transaction

from accounts import audit
from accounts.models import Tenant

# Long enough for a sentence or two and a ticket number; it is shown on every page of the team.
REASON_MAX_LENGTH = 500

# The Tenant fields these controls own; a change to any of them is audited, whatever screen made it.
CONTROL_ACTIONS = {
    ("suspended", True): "tenant.suspend",
    ("suspended", False): "tenant.unsuspend",
    ("review_all", True): "tenant.review_on",
    ("review_all", False): "tenant.review_off",
}
CONTROLLED_FIELDS = ("suspended", "review_all", "max_in_flight")


def set_suspended(tenant: Tenant, actor, suspended: bool, request=None, *, reason: str = "") -> bool:
    """Suspend or lift, audited with `reason`; a suspension keeps it for the team to read."""
    reason = reason.strip()[:REASON_MAX_LENGTH]
    extra = {"suspension_reason": reason if suspended else ""}
    return _set_flag(tenant, actor, "suspended", suspended, request, note=reason, extra=extra)


def set_review_all(tenant: Tenant, actor, review_all: bool, request=None) -> bool:
    return _set_flag(tenant, actor, "review_all", review_all, request)


def _set_flag(
    tenant: Tenant, actor, field: str, value: bool, request, *, note: str = "", extra: dict | None = None
) -> bool:
    """True when this call changed the flag (and wrote its audit row)."""
    extra = extra or {}
    with transaction.atomic():
        changed = Tenant.objects.filter(pk=tenant.pk, **{field: not value}).update(**{field: value}, **extra)
        if changed:
            setattr(tenant, field, value)
            for name, extra_value in extra.items():
                setattr(tenant, name, extra_value)
            record_control_change(tenant, actor, field, not value, value, request, note=note)
    return bool(changed)


def record_control_change(
    tenant: Tenant, actor, field: str, before, after, request=None, *, note: str = ""
) -> None:
    """Audit one changed control field (the admin's change form calls this for each one)."""
    action = CONTROL_ACTIONS.get((field, after), f"tenant.{field}")
    if field == "max_in_flight":
        action = "tenant.in_flight_cap"
    audit.record(
        actor, action, target=tenant, before={field: before}, after={field: after}, note=note, request=request
    )
