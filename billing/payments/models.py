"""Payments: credit packs staff sell, each purchase through Stripe, the events Stripe sent, and
each team's payment settings (saved card, automatic recharge).

Money here is the customer's currency in Stripe's minor units (cents; yen for zero-decimal
currencies), never credits; credits move only through billing.services, which the payments
services call when Stripe's signed webhook says a payment succeeded or was refunded.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Tenant, TenantScopedQuerySet

# Stripe charges these currencies in whole units (Stripe's "Zero-decimal currencies" list);
# every other currency in hundredths.
ZERO_DECIMAL_CURRENCIES = frozenset(
    [
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    ]
)


def minor_units(price: Decimal, currency: str) -> int:
    """A price as Stripe's integer amount (19.99 usd -> 1999; 500 jpy -> 500)."""
    factor = 1 if currency.lower() in ZERO_DECIMAL_CURRENCIES else 100
    return int((Decimal(price) * factor).to_integral_value())


def format_money(amount: int, currency: str) -> str:
    """Stripe's integer amount for people: 1999 usd -> '19.99 USD'."""
    if currency.lower() in ZERO_DECIMAL_CURRENCIES:
        return f"{amount:,} {currency.upper()}"
    return f"{amount / 100:,.2f} {currency.upper()}"


class CreditPackQuerySet(models.QuerySet):
    def on_sale(self):
        return self.filter(active=True)


class CreditPack(models.Model):
    """A number of credits for a price, sold through Stripe Checkout. Staff edit these in admin."""

    name = models.CharField(max_length=60)
    credits = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    currency = models.CharField(
        max_length=3,
        default="usd",
        validators=[RegexValidator(r"^[a-z]{3}$", "Three lower-case letters (ISO 4217), e.g. usd, eur.")],
        help_text="ISO 4217 code in lower case, as Stripe writes it (usd, eur, jpy).",
    )
    price = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    active = models.BooleanField(default=True, help_text="Only active packs are offered to customers.")
    position = models.PositiveSmallIntegerField(default=0, help_text="Packs are listed in this order.")
    updated_at = models.DateTimeField(auto_now=True)

    objects = CreditPackQuerySet.as_manager()

    class Meta:
        ordering = ["position", "price"]
        constraints = [
            models.CheckConstraint(condition=Q(credits__gte=1), name="billing_creditpack_credits_positive"),
            models.CheckConstraint(condition=Q(price__gt=0), name="billing_creditpack_price_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.credits:,} credits for {self.display_price}"

    @property
    def amount(self) -> int:
        """The price in Stripe's minor units."""
        return minor_units(self.price, self.currency)

    @property
    def display_price(self) -> str:
        return format_money(self.amount, self.currency)


class Payment(models.Model):
    """One attempt to buy credits: a Checkout Session (pack or amount) or an automatic recharge.

    `status` follows Stripe's webhooks only. Credits are added once, when the payment becomes
    `paid`; refunds and disputes take credits back (billing.payments.services explains how).
    """

    class Kind(models.TextChoices):
        CHECKOUT = "checkout", "Checkout"
        AUTO_RECHARGE = "auto_recharge", "Automatic recharge"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PAID = "paid", "Paid"
        FAILED = "failed", "Failed"
        EXPIRED = "expired", "Expired"
        PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
        REFUNDED = "refunded", "Refunded"
        DISPUTED = "disputed", "Disputed"

    tenant = models.ForeignKey(Tenant, models.PROTECT, related_name="payments")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.CHECKOUT)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    pack = models.ForeignKey(CreditPack, models.SET_NULL, null=True, blank=True, related_name="+")
    credits = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    amount = models.PositiveBigIntegerField(help_text="What the customer pays, in Stripe's minor units.")
    checkout_session_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    payment_intent_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    charge_id = models.CharField(max_length=255, blank=True, default="", db_index=True)
    receipt_url = models.URLField(max_length=500, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)
    # Refunds and disputes: money returned (minor units) and the credits that follow it.
    refunded_amount = models.PositiveBigIntegerField(default=0)
    disputed_amount = models.PositiveBigIntegerField(default=0)
    dispute_id = models.CharField(max_length=255, blank=True, default="")
    credits_reversed = models.PositiveBigIntegerField(
        default=0, help_text="Credits taken back from the balance for refunds and disputes."
    )
    credits_unrecovered = models.PositiveBigIntegerField(
        default=0,
        help_text="Credits a refund or dispute should have taken back but could not: they were "
        "already spent or held by running generations.",
    )
    failure_message = models.CharField(max_length=500, blank=True, default="")

    objects = models.Manager.from_queryset(TenantScopedQuerySet)()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # Used by the billing page's payment list: a tenant's payments, newest first.
            models.Index(fields=["tenant", "-created_at"], name="billing_payment_tenant_recent"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(credits__gte=1), name="billing_payment_credits_positive"),
            models.CheckConstraint(
                condition=Q(credits_reversed__lte=models.F("credits")),
                name="billing_payment_reversed_within_credits",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.credits:,} credits for {self.display_amount} ({self.get_status_display().lower()})"

    @property
    def display_amount(self) -> str:
        return format_money(self.amount, self.currency)

    @property
    def badge(self) -> str:
        """The portal's badge style for the status (existing badge classes)."""
        return {
            self.Status.PAID: "succeeded",
            self.Status.PENDING: "pending",
            self.Status.FAILED: "failed",
            self.Status.EXPIRED: "expired",
            self.Status.DISPUTED: "awaiting_review",
        }.get(self.status, "cancelled")

    @property
    def reference(self) -> str:
        """The Stripe id the purchase ledger entry carries: the Checkout Session, or the
        PaymentIntent of an automatic recharge."""
        return self.checkout_session_id or self.payment_intent_id or ""


class StripeEvent(models.Model):
    """A webhook event from Stripe that was verified and handled: a replay of the same event id
    is acknowledged and ignored."""

    id = models.CharField(max_length=255, primary_key=True)
    type = models.CharField(max_length=100)
    payment = models.ForeignKey(Payment, models.SET_NULL, null=True, blank=True, related_name="events")
    outcome = models.CharField(max_length=200, blank=True, default="")
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


class PaymentProfile(models.Model):
    """A team's payment settings: who may buy, the saved card, automatic recharge."""

    tenant = models.OneToOneField(Tenant, models.CASCADE, related_name="payment_profile")
    admins_may_buy = models.BooleanField(
        default=False, help_text="Let admins (not only owners) buy credits with Stripe Checkout."
    )
    stripe_customer_id = models.CharField(max_length=255, blank=True, default="")
    payment_method_id = models.CharField(max_length=255, blank=True, default="")
    card_label = models.CharField(max_length=60, blank=True, default="", help_text='e.g. "visa •••• 4242"')
    auto_recharge = models.BooleanField(default=False)
    recharge_below = models.PositiveIntegerField(
        default=100, help_text="Buy a pack when the available credits fall below this."
    )
    recharge_pack = models.ForeignKey(CreditPack, models.SET_NULL, null=True, blank=True, related_name="+")
    recharges_per_day = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    disabled_reason = models.CharField(max_length=500, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    objects = models.Manager.from_queryset(TenantScopedQuerySet)()

    class Meta:
        indexes = [
            # Used by recharge.run_due(): only teams with automatic recharge on are scanned.
            models.Index(
                fields=["tenant"], name="billing_profile_recharge_on", condition=Q(auto_recharge=True)
            ),
        ]

    def __str__(self) -> str:
        return f"Payment settings of {self.tenant}"

    @property
    def has_card(self) -> bool:
        return bool(self.payment_method_id)
