"""The only place money moves: prices, holds, capture, release, refunds, grants and adjustments.

Credits are integers everywhere. Two tables carry the money:

- `CreditAccount(balance, held)`: available = balance - held. A hold is one conditional UPDATE
  with F() (`held = held + n WHERE balance >= held + n`), so racing requests can never over-spend.
- `LedgerEntry`: every change of `balance` writes one entry with `balance_after`, in the same
  transaction, so the entries of a tenant always sum to its balance. Holds change only `held`
  and write no entry; a hold becomes a `charge` entry when it is captured.

Billing knows accounts and the ledger, and nothing about what the credits pay for: its
functions take plain values (a tenant, an amount, the id of the generation a ledger entry
answers to). The generation's side of a hold (its row's `held`, `charged`, `hold_state`, and the
claim that settles it once) lives in generations.holds, which calls these functions in the same
transaction.

All functions open their own `transaction.atomic()` (a savepoint when the caller already has
one), so an error leaves nothing half-written. `reserve()` is the exception: it runs inside the
create's transaction without a savepoint, and its errors roll that whole transaction back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db import transaction
from django.db.models import F, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from accounts.models import Tenant
from billing import low_balance
from billing.errors import InsufficientCredits, InvalidAmount, PriceNotConfigured
from billing.models import MILLI, CreditAccount, LedgerEntry, PriceRule
from seedance_site import validators
from seedance_site.table_cache import TableCache

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


def price(provider_slug: str, *, model: str, resolution: str, tier: str, seconds: int, audio: bool) -> Quote:
    """Price `seconds` of video of `model` at `resolution` on `provider_slug` ("auto" uses the
    generic rules). `tier` "" or "default" is the default service tier.

    Raises PriceNotConfigured when no active rule covers the model, tier and resolution.
    """
    rule = _price_rule(provider_slug, resolution, model, tier or "default")
    audio_factor = rule.audio_factor if audio else 1
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
    return balance_of(tenant.pk)


def balance_of(tenant_id: int) -> Balance:
    row = CreditAccount.objects.filter(tenant_id=tenant_id).values_list("balance", "held").first()
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
    low_balance.watch(account.tenant_id)
    return LedgerEntry.objects.create(
        tenant_id=account.tenant_id, kind=kind, amount=amount, balance_after=account.balance, **entry
    )


# --- Grants and adjustments -------------------------------------------------------------------


def grant(tenant: Tenant, amount: int, actor=None, note: str = "") -> LedgerEntry:
    """Add `amount` (> 0) credits to the tenant's balance. Raises InvalidAmount."""
    require_credits("amount", amount)
    if amount <= 0:
        raise InvalidAmount("amount", f"must be a positive whole number of credits (got {amount}).")
    with transaction.atomic():
        account = _locked_account(tenant.pk)
        return _move_balance(account, amount, LedgerEntry.Kind.GRANT, actor=actor, note=note)


def adjust(tenant: Tenant, amount: int, actor, note: str) -> LedgerEntry:
    """Correct the balance by `amount` (either sign). A note is required; the balance may not
    drop below what running generations hold. Raises InvalidAmount."""
    require_credits("amount", amount)
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
    require_credits("amount", amount)
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
    require_credits("amount", amount)
    if amount <= 0:
        raise InvalidAmount("amount", f"must be a positive whole number of credits (got {amount}).")
    with transaction.atomic():
        account = _locked_account(tenant.pk)
        taken = min(amount, account.available)
        if taken:
            _move_balance(account, -taken, kind, reference=reference, note=note)
        return taken, amount - taken


def require_credits(field: str, value) -> None:
    """Raise InvalidAmount unless `value` is a whole number of credits within the shared limit."""
    # bool is an int subclass; True credits is a bug, not one credit.
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidAmount(field, f"must be a whole number of credits (got {value!r}).")
    if abs(value) > validators.MAX_CREDITS:  # the shared amount rule; 64-bit sums stay exact
        raise InvalidAmount(field, f"must be between 1 and {validators.MAX_CREDITS:,} credits (got {value}).")


# --- Holds and settlement ---------------------------------------------------------------------


def reserve(tenant_id: int, amount: int) -> None:
    """Hold `amount` credits on the tenant's account: `held += amount` if the balance covers it,
    in one conditional UPDATE. Raises InsufficientCredits.

    The UPDATE locks the account row, and a racing reserve re-evaluates the WHERE after ours
    commits, so the check cannot race. A refusal is the end of a create, so there is no
    savepoint: an error marks the enclosing transaction for rollback, and nothing is kept.
    """
    require_credits("amount", amount)
    if amount < 0:
        raise InvalidAmount("amount", f"must not be negative (got {amount}).")
    if not amount:
        return  # a free job reserves nothing
    covered = {"tenant_id": tenant_id, "balance__gte": F("held") + amount}
    change = {"held": F("held") + amount, "updated_at": timezone.now()}
    # Most teams set no low-balance threshold: for them the hold is this one UPDATE and nothing
    # is checked after commit. A team with a threshold (or without the credits) takes the second.
    if CreditAccount.objects.filter(**covered, low_balance_threshold__isnull=True).update(**change):
        return
    if not CreditAccount.objects.filter(**covered).update(**change):
        available = balance_of(tenant_id).available
        raise InsufficientCredits(required=amount, available=available)
    low_balance.watch(tenant_id)  # after commit: this hold may take the team below its threshold


def charge_hold(tenant_id: int, held: int, charge: int, generation_id) -> None:
    """Settle a captured hold of `held` credits: drop it from the account and write a `charge`
    entry of `charge` (<= held) for the generation; the rest is released. The caller has
    claimed the hold, so this runs once per hold."""
    with transaction.atomic():
        account = _locked_account(tenant_id)
        account.held -= held
        if charge:
            _move_balance(account, -charge, LedgerEntry.Kind.CHARGE, generation_id=generation_id)
        else:
            account.save(update_fields=["held", "updated_at"])
            low_balance.watch(tenant_id)


def release_hold(tenant_id: int, held: int) -> None:
    """Drop a released hold of `held` credits from the account; no ledger entry is written."""
    CreditAccount.objects.filter(tenant_id=tenant_id).update(held=F("held") - held, updated_at=timezone.now())
    low_balance.watch(tenant_id)  # credits come back: may re-arm the low-balance email


def refund_charge(tenant_id: int, generation_id, actor=None, note: str = "") -> bool:
    """Give back what the ledger charged for `generation_id`, at most once.

    Returns True when credits were refunded, False when there is nothing to refund (never
    charged, or already refunded).
    """
    with transaction.atomic():
        # The account lock serialises refunds of one tenant, so the checks below cannot race;
        # the unique (generation, kind) constraint is the backstop.
        account = _locked_account(tenant_id)
        entries = LedgerEntry.objects.filter(tenant_id=tenant_id, generation_id=generation_id)
        charged = -(
            entries.filter(kind=LedgerEntry.Kind.CHARGE).values_list("amount", flat=True).first() or 0
        )
        if not charged or entries.filter(kind=LedgerEntry.Kind.REFUND).exists():
            return False
        _move_balance(
            account, charged, LedgerEntry.Kind.REFUND, generation_id=generation_id, actor=actor, note=note
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


def reconcile(tenant: Tenant, open_holds: int) -> list[str]:
    """Every way the tenant's books disagree with themselves; an empty list means they agree.

    Checks: the ledger sums to the balance, the last entry's balance_after is the balance,
    and `held` is `open_holds`, the sum of the holds still open (generations.holds.reconcile
    adds them up).
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
    if open_holds != held:
        problems.append(f"open holds add up to {open_holds} but the account holds {held}")
    return problems
