"""Money in integer credits: prices, each tenant's account, the ledger. A generation's hold is
on its own row (Generation.held, charged, hold_state).

Only `billing.services` writes to these tables (and `billing.low_balance`, the account's
warning threshold and flag); everything else reads through them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Tenant, TenantScopedQuerySet

# Rates are stored in thousandths of a credit so a price can be 2.5 credits/s and still
# be integer arithmetic; quotes round the total UP to whole credits.
MILLI = 1000


class PriceRule(models.Model):
    """Credits per second for one model, service tier and resolution, optionally for one provider.

    A rule with a provider wins over the generic rule (provider blank) for that model, tier and
    resolution. A job without a tier is priced by the `default` tier's rules. The values are the
    API's names (generations.spec lists them); a rule naming anything else never matches a job.
    """

    provider = models.CharField(
        max_length=20, blank=True, default="", help_text="Provider slug; blank applies to every provider."
    )
    model = models.CharField(
        max_length=40,
        default="seedance-1.5-pro",
        help_text="The model as the API names it, e.g. seedance-2.0.",
    )
    service_tier = models.CharField(
        max_length=10,
        default="default",
        help_text="default, or flex: the slower, cheaper tier of providers that have one.",
    )
    resolution = models.CharField(max_length=10, help_text="480p, 720p or 1080p.")
    millicredits_per_second = models.PositiveIntegerField(
        help_text="Thousandths of a credit per second of video: 4000 = 4 credits/s, 2500 = 2.5 credits/s."
    )
    audio_factor = models.PositiveSmallIntegerField(
        default=2, help_text="The price is multiplied by this when the video has generated audio."
    )
    active = models.BooleanField(default=True)
    note = models.CharField(max_length=200, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["provider", "model", "service_tier", "resolution"]
        constraints = [
            # Used by services.quote(): at most one active rule per (provider, resolution), so
            # the price of a spec never depends on row order.
            models.UniqueConstraint(
                fields=["provider", "model", "service_tier", "resolution"],
                condition=Q(active=True),
                name="billing_pricerule_one_active_per_model_tier",
            ),
            models.CheckConstraint(
                condition=Q(audio_factor__gte=1), name="billing_pricerule_audio_factor_min_1"
            ),
        ]

    def __str__(self) -> str:
        where = self.provider or "any provider"
        tier = "" if self.service_tier == "default" else f" ({self.service_tier})"
        return (
            f"{self.model} {self.resolution}{tier} on {where}: "
            f"{self.millicredits_per_second / MILLI:g} credits/s"
        )


class CreditAccount(models.Model):
    """A tenant's credits. `held` is reserved by running generations; available = balance - held."""

    tenant = models.OneToOneField(Tenant, models.CASCADE, related_name="credit_account")
    balance = models.BigIntegerField(default=0)
    held = models.BigIntegerField(default=0)
    # The team's low-balance warning (billing.low_balance): below this many available credits
    # the portal shows a banner and the owners get one email. NULL = off.
    low_balance_threshold = models.BigIntegerField(
        null=True, blank=True, help_text="Warn when the available credits fall below this; empty = off."
    )
    # Set when the owners were emailed about the current dip below the threshold; cleared when
    # the available credits are back at or above it, so the next dip emails again.
    low_balance_warned = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(low_balance_threshold__gte=0), name="billing_creditaccount_threshold_not_negative"
            ),
            # The last line of defence under concurrency: the database refuses any write
            # that would hold more than the balance or release more than was held.
            models.CheckConstraint(condition=Q(held__gte=0), name="billing_creditaccount_held_not_negative"),
            models.CheckConstraint(
                condition=Q(balance__gte=F("held")), name="billing_creditaccount_balance_covers_held"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tenant}: {self.balance} credits ({self.held} held)"

    @property
    def available(self) -> int:
        return self.balance - self.held


class AppendOnly(Exception):
    """Ledger entries are history: they are never changed or deleted."""


class LedgerEntryQuerySet(TenantScopedQuerySet):
    def update(self, **kwargs):
        raise AppendOnly("Ledger entries cannot be updated; record a correcting entry instead.")

    def delete(self):
        raise AppendOnly("Ledger entries cannot be deleted; record a correcting entry instead.")


class LedgerEntry(models.Model):
    """One movement of a tenant's balance. The entries of a tenant sum to its balance."""

    class Kind(models.TextChoices):
        GRANT = "grant", "Grant"
        PURCHASE = "purchase", "Purchase"
        CHARGE = "charge", "Charge"
        REFUND = "refund", "Refund"
        ADJUSTMENT = "adjustment", "Adjustment"
        # A Stripe refund or dispute taking back credits a payment bought (billing.payments).
        PAYMENT_REFUND = "payment_refund", "Payment refunded"
        DISPUTE = "dispute", "Payment disputed"

    tenant = models.ForeignKey(Tenant, models.PROTECT, related_name="ledger_entries")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    amount = models.BigIntegerField(
        help_text="Signed credits: positive adds to the balance, negative spends."
    )
    balance_after = models.BigIntegerField()
    generation = models.ForeignKey(
        "generations.Generation", models.PROTECT, null=True, blank=True, related_name="ledger_entries"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True, default="")
    # The outside id the movement answers to: a purchase's Checkout Session (cs_...) or
    # PaymentIntent (pi_...), a refunded charge (ch_...), a dispute (du_...).
    reference = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    objects = models.Manager.from_queryset(LedgerEntryQuerySet)()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "ledger entries"
        indexes = [
            # Used by services.ledger() (portal and API ledger pages): a tenant's entries, newest first.
            models.Index(fields=["tenant", "-created_at"], name="billing_ledger_tenant_recent"),
            # Used by services.usage_by_day(): a tenant's charges over the last N days.
            models.Index(
                fields=["tenant", "created_at"],
                name="billing_ledger_tenant_charges",
                condition=Q(kind="charge"),
            ),
        ]
        constraints = [
            # A generation is charged at most once and refunded at most once, whatever the code does.
            models.UniqueConstraint(
                fields=["generation", "kind"],
                condition=Q(generation__isnull=False),
                name="billing_ledger_once_per_generation",
            ),
            # A payment credits once and a dispute debits once, whatever webhooks repeat or race.
            models.UniqueConstraint(
                fields=["kind", "reference"],
                condition=Q(kind__in=["purchase", "dispute"]) & ~Q(reference=""),
                name="billing_ledger_once_per_reference",
            ),
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="billing_ledger_balance_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount:+d} → {self.balance_after} ({self.tenant})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly("Ledger entries cannot be changed; record a correcting entry instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("Ledger entries cannot be deleted; record a correcting entry instead.")


# Payment models live in their own modules; importing them here registers them with the app.
from billing.payments.models import CreditPack, Payment, PaymentProfile, StripeEvent  # noqa: F401
from billing.stripe_sandbox.models import SandboxStripeObject  # noqa: F401
