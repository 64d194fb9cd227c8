"""A generation's credits: its row is its own hold (`held`, `charged`, `hold_state`).

`hold()` inserts the new generation with save(), holding its price, and reserves the amount on
the tenant's account (billing.reserve) in the same transaction, so a generation is held once.
Capture and release claim the row with a conditional UPDATE (held -> captured/released), so
each settles a generation at most once, even when a callback and a poll race; the winner then
moves the account and the ledger through billing. A repeat of the same settlement is a no-op
returning False; the opposite settlement (capture after release, release after capture) raises
AlreadySettled.
"""

from __future__ import annotations

import logging
from datetime import UTC

from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import ApiKey, Tenant
from billing import services as billing
from billing.errors import AlreadyHeld, AlreadySettled, InvalidAmount, KeySpendLimit
from generations.models import Generation, Hold

logger = logging.getLogger(__name__)


def hold(generation: Generation, amount: int) -> None:
    """Insert the new `generation` with `amount` credits held for it, and reserve them.

    Sets generation.held, hold_state and (when the caller left it 0) quoted. The monthly cap of
    the key that creates it (generation.created_by_key), if any, applies. Raises KeySpendLimit,
    InsufficientCredits, or AlreadyHeld for a generation that is already saved: a row is
    inserted once, so it is held once. A refusal is the end of the create, so there is no
    savepoint: an error marks the enclosing transaction for rollback, and nothing is kept.
    """
    billing.require_credits("amount", amount)
    if amount < 0:
        raise InvalidAmount("amount", f"must not be negative (got {amount}).")
    if not generation._state.adding:
        raise AlreadyHeld(generation.pk)
    generation.held, generation.hold_state = amount, Hold.HELD
    generation.quoted = generation.quoted or amount
    with transaction.atomic(savepoint=False):
        api_key = generation.created_by_key
        if api_key is not None and api_key.monthly_credit_limit is not None:
            _check_key_cap(api_key, amount)
        generation.save(force_insert=True)
        # The account row is every create's hot row: it is locked last, for the shortest time.
        billing.reserve(generation.tenant_id, amount)


def _check_key_cap(api_key: ApiKey, amount: int) -> None:
    # Lock the key row so two holds on the same key cannot both pass the cap.
    key = ApiKey.objects.select_for_update().get(pk=api_key.pk)
    if key.monthly_credit_limit is None:
        return
    spent = key_spend_this_month(key)
    if spent + amount > key.monthly_credit_limit:
        raise KeySpendLimit(limit=key.monthly_credit_limit, spent=spent, required=amount)


def key_spend_this_month(api_key: ApiKey) -> int:
    """Credits held or charged for generations the key started since the 1st of the month (UTC)."""
    return key_spends_this_month([api_key.pk]).get(api_key.pk, 0)


def key_spends_this_month(key_ids) -> dict[int, int]:
    """Each key's spend this month (held + charged for the generations it started since the 1st,
    UTC), in one query: {key id: credits}; a key that spent nothing is absent. The cap check
    (key_spend_this_month) and the keys page both count through this, so they cannot disagree."""
    rows = (
        Generation.objects.filter(created_by_key__in=list(key_ids), created_at__gte=month_start())
        .order_by()
        .values("created_by_key")
        .annotate(held=Coalesce(Sum("held"), 0), charged=Coalesce(Sum("charged"), 0))
    )
    return {row["created_by_key"]: row["held"] + row["charged"] for row in rows}


def month_start():
    """00:00 UTC on the 1st of the current month: when monthly key caps start again."""
    now = timezone.now().astimezone(UTC)
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def capture(generation: Generation, actual_amount: int | None = None) -> bool:
    """Turn the generation's hold into a `charge` entry.

    `actual_amount`: the price of what the provider really delivered (e.g. the quote for the
    duration it chose); min(actual_amount, held) is charged and the rest released.
    Returns True when this call settled the hold, False when there was nothing to do (already
    captured, or never held). Raises AlreadySettled if the hold was released.
    """
    if actual_amount is not None:
        billing.require_credits("actual_amount", actual_amount)
        if actual_amount < 0:
            raise InvalidAmount("actual_amount", f"must not be negative (got {actual_amount}).")
    with transaction.atomic():
        held = _claim(generation, Hold.CAPTURED)
        if held is None:
            return False
        charge = held if actual_amount is None else min(actual_amount, held)
        billing.charge_hold(generation.tenant_id, held, charge, generation_id=generation.pk)
        _set_money(generation, held=0, charged=charge, hold_state=Hold.CAPTURED)
    return True


def release(generation: Generation) -> bool:
    """Drop the generation's hold; nothing is charged and no ledger entry is written.

    Returns True when this call released it, False when there was nothing to do (already
    released, or never held). Raises AlreadySettled if the hold was captured.
    """
    with transaction.atomic():
        held = _claim(generation, Hold.RELEASED)
        if held is None:
            return False
        billing.release_hold(generation.tenant_id, held)
        _set_money(generation, held=0, hold_state=Hold.RELEASED)
    return True


def refund(generation: Generation, actor=None, note: str = "") -> bool:
    """Give back what a captured generation was charged (staff "refund"), at most once.

    Returns True when credits were refunded, False when there is nothing to refund (never
    charged, or already refunded). generation.charged keeps what was charged; the ledger
    shows the refund next to it.
    """
    return billing.refund_charge(generation.tenant_id, generation.pk, actor=actor, note=note)


def reconcile(tenant: Tenant) -> list[str]:
    """Every way the tenant's books disagree with themselves (billing.reconcile), with the open
    holds of its generations as what the account should hold; an empty list means they agree."""
    open_holds = Generation.objects.filter(tenant=tenant, hold_state=Hold.HELD).aggregate(
        s=Coalesce(Sum("held"), 0)
    )["s"]
    return billing.reconcile(tenant, open_holds)


def _claim(generation: Generation, target: str) -> int | None:
    """Move the hold from `held` to `target` if nobody did yet; the winner gets the amount held."""
    rows = Generation.objects.filter(pk=generation.pk)
    if rows.filter(hold_state=Hold.HELD).update(hold_state=target):
        return rows.values_list("held", flat=True).get()
    state = rows.values_list("hold_state", flat=True).first()
    if not state:
        logger.warning("No credits were held for generation %s; nothing to %s.", generation.pk, target)
        return None
    if state == target:
        return None  # a repeat of the same settlement
    raise AlreadySettled(generation.pk, state)


def _set_money(generation: Generation, **fields) -> None:
    Generation.objects.filter(pk=generation.pk).update(**fields)
    for name, value in fields.items():
        setattr(generation, name, value)
