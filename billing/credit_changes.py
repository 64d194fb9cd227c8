"""Staff grant or adjust a tenant's credits with a note: one ledger entry and one audit row,
in one transaction, applied once per submitted form (the admin's "Grant or adjust credits").
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from accounts import audit
from accounts.models import AuditEvent, Tenant
from billing import services as billing
from billing.errors import InvalidAmount
from billing.models import LedgerEntry


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
