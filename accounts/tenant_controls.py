"""Staff controls on a tenant: suspend, review every job, the in-flight cap, credits. Each audited.

Suspension refuses new work only (Tenant.ensure_can_create_work, called by every create);
jobs already accepted run to the end and settle as usual. The flags are set with conditional
UPDATEs, so a repeat (or two staff at once) changes nothing and writes no second audit row.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from accounts import audit
from accounts.models import AuditEvent, Tenant
from billing import services as billing
from billing.errors import InvalidAmount
from billing.models import LedgerEntry

# The Tenant fields these controls own; a change to any of them is audited, whatever screen made it.
CONTROL_ACTIONS = {
    ("suspended", True): "tenant.suspend",
    ("suspended", False): "tenant.unsuspend",
    ("review_all", True): "tenant.review_on",
    ("review_all", False): "tenant.review_off",
}
CONTROLLED_FIELDS = ("suspended", "review_all", "max_in_flight")


def set_suspended(tenant: Tenant, actor, suspended: bool, request=None) -> bool:
    return _set_flag(tenant, actor, "suspended", suspended, request)


def set_review_all(tenant: Tenant, actor, review_all: bool, request=None) -> bool:
    return _set_flag(tenant, actor, "review_all", review_all, request)


def _set_flag(tenant: Tenant, actor, field: str, value: bool, request) -> bool:
    """True when this call changed the flag (and wrote its audit row)."""
    with transaction.atomic():
        changed = Tenant.objects.filter(pk=tenant.pk, **{field: not value}).update(**{field: value})
        if changed:
            setattr(tenant, field, value)
            record_control_change(tenant, actor, field, not value, value, request)
    return bool(changed)


def record_control_change(tenant: Tenant, actor, field: str, before, after, request=None) -> None:
    """Audit one changed control field (the admin's change form calls this for each one)."""
    action = CONTROL_ACTIONS.get((field, after), f"tenant.{field}")
    if field == "max_in_flight":
        action = "tenant.in_flight_cap"
    audit.record(actor, action, target=tenant, before={field: before}, after={field: after}, request=request)


class CreditChange:
    GRANT = "grant"
    ADJUST = "adjust"
    CHOICES = [(GRANT, "Grant (add credits)"), (ADJUST, "Adjust (correct the balance, + or −)")]


def change_credits(
    tenant: Tenant, actor, kind: str, amount: int, note: str, *, request=None, request_key: str | None = None
) -> LedgerEntry | None:
    """Grant or adjust a tenant's credits with a note, audited, in one transaction.

    `request_key` makes a submitted form take effect once: a second call with the same key
    returns None and moves nothing. Raises billing's InvalidAmount (field-named) on bad input.
    """
    if not (note or "").strip():
        raise InvalidAmount("note", "is required: say why the credits change (the tenant sees it).")
    note = note.strip()
    move = billing.grant if kind == CreditChange.GRANT else billing.adjust
    action = "credits.grant" if kind == CreditChange.GRANT else "credits.adjust"
    try:
        with transaction.atomic():
            before = billing.balance(tenant)
            entry = move(tenant, amount, actor, note)
            audit.record(
                actor,
                action,
                target=tenant,
                before={"balance": before.balance, "held": before.held},
                after={"balance": entry.balance_after, "held": before.held, "amount": amount},
                note=note,
                request=request,
                request_key=request_key,
            )
    except IntegrityError:
        if request_key and AuditEvent.objects.filter(request_key=request_key).exists():
            return None  # this exact form was applied already
        raise
    return entry
