"""The only place money moves: quotes, holds, capture, release, refunds, grants and adjustments.

Credits are integers everywhere. Two tables carry the money:

- `CreditAccount(balance, held)`: available = balance - held. A hold is one conditional UPDATE
  (`held = held + n WHERE balance - held >= n`), so racing requests can never over-spend.
- `LedgerEntry`: every change of `balance` writes one entry with `balance_after`, in the same
  transaction, so the entries of a tenant always sum to its balance. Holds change only `held`
  and write no entry; a hold becomes a `charge` entry when it is captured.

The generation row is its own hold (`held`, `charged`, `hold_state`): `hold()` inserts it with
the amount held, in the transaction that reserves the amount on the account, so a generation is
held once. Capture and release claim it with a conditional UPDATE (held -> captured/released),
so each settles a generation at most once, even when a callback and a poll race. A repeat of
the same settlement is a no-op returning False; the opposite settlement (capture after release,
release after capture) raises AlreadySettled.

All functions open their own `transaction.atomic()` (a savepoint when the caller already has
one), so an error leaves nothing half-written. `hold()` is the exception: it runs inside the
create's transaction without a savepoint, and its errors roll that whole transaction back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db import transaction
from django.db.models import F, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from accounts.models import ApiKey, Tenant
from billing.errors import (
    AlreadyHeld,
    AlreadySettled,
    InsufficientCredits,
    InvalidAmount,
    KeySpendLimit,
    PriceNotConfigured,
)
from billing.models import MILLI, CreditAccount, LedgerEntry, PriceRule
from generations.models import Generation, Hold
from generations.spec import MAX_DURATION, GenerationSpec
from seedance_site import validators
from seedance_site.table_cache import TableCache

logger = logging.getLogger(__name__)

AUTO_PROVIDER = "auto"


# --- Prices ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quote:
    """The price of a spec on a provider. credits = ceil(seconds x rate x audio_factor / 1000)."""

    credits: int
    rate: int  # millicredits per second of video (4000 = 4 credits/s)
    seconds: int  # billed seconds: for auto duration, the most the provider may choose
    audio_factor: int  # 1 without audio
    rule_id: int | None

    def as_dict(self) -> dict:
        """The breakdown shown to customers (API quotes, the portal's live price)."""
        return {
            "credits": self.credits,
            "seconds": self.seconds,
            "rate": self.rate,
            "rate_unit": "millicredits_per_second",
            "audio_factor": self.audio_factor,
        }


def quote(spec: GenerationSpec, provider_slug: str) -> Quote:
    """Price `spec` on `provider_slug` ("auto" uses the generic rules).

    Raises PriceNotConfigured when no active rule covers the resolution.
    """
    rule = _price_rule(provider_slug, spec.resolution, spec.model, spec.service_tier or "default")
    seconds = _billable_seconds(spec, provider_slug)
    audio_factor = rule.audio_factor if spec.generate_audio else 1
    millicredits = seconds * rule.millicredits_per_second * audio_factor
    return Quote(
        credits=_ceil_div(millicredits, MILLI),
        rate=rule.millicredits_per_second,
        seconds=seconds,
        audio_factor=audio_factor,
        rule_id=rule.pk,
    )


# Every create is priced: keep the (small) table of active rules in memory, re-read at most
# every 30 s, and at once in the process that edits a rule.
_active_rules = TableCache(PriceRule, lambda: list(PriceRule.objects.filter(active=True)))


def _price_rule(provider_slug: str, resolution: str, model: str, tier: str) -> PriceRule:
    providers = [""] if provider_slug == AUTO_PROVIDER else [provider_slug, ""]
    rules = [
        r
        for r in _active_rules.get()
        if (r.resolution, r.model, r.service_tier) == (resolution, model, tier) and r.provider in providers
    ]
    # A provider's own rule beats the generic one; the unique constraint allows one of each.
    rule = max(rules, key=lambda r: r.provider != "", default=None)
    if rule is None:
        tier_name = "" if tier == "default" else f" {tier}"
        raise PriceNotConfigured(f"{model} {resolution}{tier_name}", provider_slug)
    return rule


def _billable_seconds(spec: GenerationSpec, provider_slug: str) -> int:
    if not spec.is_auto_duration:
        return spec.duration
    # The provider picks the duration later, so hold for the longest it may choose; capture
    # charges the real duration and releases the rest.
    if provider_slug == AUTO_PROVIDER:
        return MAX_DURATION
    from generations.providers import get_adapter  # imported late: the registry reads settings

    return get_adapter(provider_slug).capabilities.max_duration


def _ceil_div(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


# --- Accounts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Balance:
    balance: int
    held: int
    available: int

    def as_dict(self) -> dict:
        return {"balance": self.balance, "held": self.held, "available": self.available}


def account_for(tenant: Tenant) -> CreditAccount:
    """The tenant's account, created empty on first use."""
    account, _ = CreditAccount.objects.get_or_create(tenant=tenant)
    return account


def balance(tenant: Tenant) -> Balance:
    """Read-only: a tenant without an account has zero of everything (no row is created)."""
    row = CreditAccount.objects.filter(tenant=tenant).values_list("balance", "held").first()
    total, held = row or (0, 0)
    return Balance(balance=total, held=held, available=total - held)


def _locked_account(tenant_id: int) -> CreditAccount:
    """The account row, locked until the end of the transaction (PostgreSQL; SQLite serialises)."""
    CreditAccount.objects.get_or_create(tenant_id=tenant_id)
    return CreditAccount.objects.select_for_update().get(tenant_id=tenant_id)


def _move_balance(account: CreditAccount, amount: int, kind: str, **entry) -> LedgerEntry:
    """Change a locked account's balance and write the matching ledger entry."""
    account.balance += amount
    account.save(update_fields=["balance", "held", "updated_at"])
    return LedgerEntry.objects.create(
        tenant_id=account.tenant_id, kind=kind, amount=amount, balance_after=account.balance, **entry
    )


# --- Grants and adjustments -------------------------------------------------------------------


def grant(tenant: Tenant, amount: int, actor=None, note: str = "") -> LedgerEntry:
    """Add `amount` (> 0) credits to the tenant's balance. Raises InvalidAmount."""
    _require_int("amount", amount)
    if amount <= 0:
        raise InvalidAmount("amount", f"must be a positive whole number of credits (got {amount}).")
    with transaction.atomic():
        account = _locked_account(tenant.pk)
        return _move_balance(account, amount, LedgerEntry.Kind.GRANT, actor=actor, note=note)


def adjust(tenant: Tenant, amount: int, actor, note: str) -> LedgerEntry:
    """Correct the balance by `amount` (either sign). A note is required; the balance may not
    drop below what running generations hold. Raises InvalidAmount."""
    _require_int("amount", amount)
    if amount == 0:
        raise InvalidAmount("amount", "must not be zero.")
    if not (note or "").strip():
        raise InvalidAmount("note", "is required for an adjustment: say why the balance changes.")
    with transaction.atomic():
        account = _locked_account(tenant.pk)
        if account.balance + amount < account.held:
            raise InvalidAmount(
                "amount",
                f"would leave {account.balance + amount} credits, below the {account.held} "
                "held by running generations.",
            )
        return _move_balance(account, amount, LedgerEntry.Kind.ADJUSTMENT, actor=actor, note=note.strip())


def purchase(tenant: Tenant, amount: int, reference: str, note: str = "") -> LedgerEntry | None:
    """Add the credits a payment bought, as a `purchase` entry carrying the payment's Stripe id.

    At most once per reference: a second call with the same reference returns None and moves
    nothing (the ledger's unique (kind, reference) constraint is the backstop).
    """
    _require_int("amount", amount)
    if amount <= 0:
        raise InvalidAmount("amount", f"must be a positive whole number of credits (got {amount}).")
    if not reference:
        raise InvalidAmount("reference", "a purchase must name the payment it comes from.")
    with transaction.atomic():
        account = _locked_account(tenant.pk)
        # The account lock serialises this check per tenant.
        if LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PURCHASE, reference=reference).exists():
            return None
        return _move_balance(account, amount, LedgerEntry.Kind.PURCHASE, reference=reference, note=note)


def take_back(tenant: Tenant, amount: int, kind: str, reference: str, note: str = "") -> tuple[int, int]:
    """Remove up to `amount` credits for a refunded or disputed payment.

    The balance never drops below what running generations hold, so only the available credits
    can be taken. Returns (taken, short): what was taken, and what could not be.
    """
    _require_int("amount", amount)
    if amount <= 0:
        raise InvalidAmount("amount", f"must be a positive whole number of credits (got {amount}).")
    with transaction.atomic():
        account = _locked_account(tenant.pk)
        taken = min(amount, account.available)
        if taken:
            _move_balance(account, -taken, kind, reference=reference, note=note)
        return taken, amount - taken


def _require_int(field: str, value) -> None:
    # bool is an int subclass; True credits is a bug, not one credit.
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidAmount(field, f"must be a whole number of credits (got {value!r}).")
    if abs(value) > validators.MAX_CREDITS:  # the shared amount rule; 64-bit sums stay exact
        raise InvalidAmount(field, f"must be between 1 and {validators.MAX_CREDITS:,} credits (got {value}).")


# --- Holds and settlement ---------------------------------------------------------------------


def hold(generation: Generation, amount: int) -> None:
    """Insert the new `generation` with `amount` credits held for it, and reserve them.

    Sets generation.held, hold_state and (when the caller left it 0) quoted. The monthly cap of
    the key that creates it (generation.created_by_key), if any, applies. Raises KeySpendLimit,
    InsufficientCredits, or AlreadyHeld for a generation that is already saved: a row is
    inserted once, so it is held once. A refusal is the end of the create, so there is no
    savepoint: an error marks the enclosing transaction for rollback, and nothing is kept.
    """
    _require_int("amount", amount)
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
        # A free job reserves nothing.
        if amount and not _reserve(generation.tenant_id, amount):
            raise InsufficientCredits(required=amount, available=balance(generation.tenant).available)


def _reserve(tenant_id: int, amount: int) -> bool:
    """The hold itself: `held += amount` if the balance covers it, in one conditional UPDATE.

    It locks the account row, and a racing hold re-evaluates the WHERE after ours commits, so
    the check cannot race.
    """
    return bool(
        CreditAccount.objects.filter(tenant_id=tenant_id, balance__gte=F("held") + amount).update(
            held=F("held") + amount, updated_at=timezone.now()
        )
    )


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
    now = timezone.now().astimezone(UTC)
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    totals = Generation.objects.filter(created_by_key=api_key, created_at__gte=month_start).aggregate(
        held=Coalesce(Sum("held"), 0), charged=Coalesce(Sum("charged"), 0)
    )
    return totals["held"] + totals["charged"]


def capture(generation: Generation, actual_amount: int | None = None) -> bool:
    """Turn the generation's hold into a `charge` entry.

    `actual_amount`: the price of what the provider really delivered (e.g. the quote for the
    duration it chose); min(actual_amount, held) is charged and the rest released.
    Returns True when this call settled the hold, False when there was nothing to do (already
    captured, or never held). Raises AlreadySettled if the hold was released.
    """
    if actual_amount is not None:
        _require_int("actual_amount", actual_amount)
        if actual_amount < 0:
            raise InvalidAmount("actual_amount", f"must not be negative (got {actual_amount}).")
    with transaction.atomic():
        held = _claim(generation, Hold.CAPTURED)
        if held is None:
            return False
        charge = held if actual_amount is None else min(actual_amount, held)
        account = _locked_account(generation.tenant_id)
        account.held -= held
        if charge:
            _move_balance(account, -charge, LedgerEntry.Kind.CHARGE, generation_id=generation.pk)
        else:
            account.save(update_fields=["held", "updated_at"])
        _set_generation_money(generation, held=0, charged=charge, hold_state=Hold.CAPTURED)
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
        CreditAccount.objects.filter(tenant_id=generation.tenant_id).update(
            held=F("held") - held, updated_at=timezone.now()
        )
        _set_generation_money(generation, held=0, hold_state=Hold.RELEASED)
    return True


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


def _set_generation_money(generation: Generation, **fields) -> None:
    Generation.objects.filter(pk=generation.pk).update(**fields)
    for name, value in fields.items():
        setattr(generation, name, value)


def refund(generation: Generation, actor=None, note: str = "") -> bool:
    """Give back what a captured generation was charged (staff "refund"), at most once.

    Returns True when credits were refunded, False when there is nothing to refund (never
    charged, or already refunded). generation.charged keeps what was charged; the ledger
    shows the refund next to it.
    """
    with transaction.atomic():
        # The account lock serialises refunds of one tenant, so the check below cannot race;
        # the unique (generation, kind) constraint is the backstop.
        account = _locked_account(generation.tenant_id)
        charged = (
            Generation.objects.filter(pk=generation.pk, hold_state=Hold.CAPTURED)
            .values_list("charged", flat=True)
            .first()
        )
        if not charged:
            return False
        if LedgerEntry.objects.filter(generation_id=generation.pk, kind=LedgerEntry.Kind.REFUND).exists():
            return False
        _move_balance(
            account, charged, LedgerEntry.Kind.REFUND, generation_id=generation.pk, actor=actor, note=note
        )
    return True


# --- Reading ----------------------------------------------------------------------------------


def ledger(tenant: Tenant):
    """The tenant's ledger entries, newest first (a queryset: paginate it)."""
    return LedgerEntry.objects.for_tenant(tenant).select_related("actor").order_by("-created_at", "-id")


def usage_by_day(tenant: Tenant, days: int = 30) -> list[tuple[date, int]]:
    """Credits charged per UTC day over the last `days` days, oldest first, today last; zero
    days included so a chart has every bar. Refunds are not netted out."""
    today = timezone.now().astimezone(UTC).date()
    first = today - timedelta(days=days - 1)
    rows = (
        LedgerEntry.objects.for_tenant(tenant)
        .filter(
            kind=LedgerEntry.Kind.CHARGE, created_at__gte=datetime.combine(first, datetime.min.time(), UTC)
        )
        .annotate(day=TruncDate("created_at", tzinfo=UTC))
        .order_by()
        .values("day")
        .annotate(total=Sum("amount"))
    )
    charged = {row["day"]: -row["total"] for row in rows}
    return [(day, charged.get(day, 0)) for day in (first + timedelta(days=n) for n in range(days))]


def reconcile(tenant: Tenant) -> list[str]:
    """Every way the tenant's books disagree with themselves; an empty list means they agree.

    Checks: the ledger sums to the balance, the last entry's balance_after is the balance,
    and `held` is the sum of the open holds.
    """
    account = CreditAccount.objects.filter(tenant=tenant).first()
    total, held = (account.balance, account.held) if account else (0, 0)
    entries = LedgerEntry.objects.for_tenant(tenant)
    problems = []
    ledger_sum = entries.aggregate(s=Coalesce(Sum("amount"), 0))["s"]
    if ledger_sum != total:
        problems.append(f"ledger sums to {ledger_sum} but the balance is {total}")
    last = entries.order_by("-id").values_list("balance_after", flat=True).first()
    if last is not None and last != total:
        problems.append(f"the last entry says {last} but the balance is {total}")
    open_holds = Generation.objects.filter(tenant=tenant, hold_state=Hold.HELD).aggregate(
        s=Coalesce(Sum("held"), 0)
    )["s"]
    if open_holds != held:
        problems.append(f"open holds add up to {open_holds} but the account holds {held}")
    return problems
