"""Buying credits: start a Checkout, and turn Stripe's webhook events into ledger entries.

Crediting rules (docs/billing.md, "Payments"):

- Credits are added only when Stripe's signed webhook says a payment succeeded
  (`checkout.session.completed` with payment_status "paid", `checkout.session.async_payment_succeeded`,
  or `payment_intent.succeeded` for an automatic recharge), never because a browser came back.
- Once per payment: the payment row is locked, `paid_at` marks it credited, and the ledger's
  unique (kind, reference) constraint stops a second `purchase` entry for the same Stripe id.
- Refunds and disputes take back credits in proportion to the money returned
  (credits x returned / paid, rounded down; a full refund takes back all of them), counted
  cumulatively on the payment, so repeated or out-of-order events take nothing twice.
  The balance never drops below what running generations hold: what cannot be taken back
  (already spent, or held) is recorded on the payment as `credits_unrecovered` for staff.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import stripe
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts import audit
from accounts.models import Membership, Role, Tenant
from billing import services as billing
from billing.models import LedgerEntry
from billing.payments import stripe_api
from billing.payments.models import CreditPack, Payment, PaymentProfile, format_money
from seedance_site import validators
from seedance_site.errors import DomainError

logger = logging.getLogger(__name__)


class PaymentError(DomainError):
    """Buying could not start: bad choice, payments off, or Stripe refused or was unreachable."""

    code = "payment_error"
    http_status = 400


# --- Who may buy, and what ---------------------------------------------------------------------


def profile_for(tenant: Tenant) -> PaymentProfile:
    profile, _ = PaymentProfile.objects.get_or_create(tenant=tenant)
    return profile


def can_buy(membership) -> bool:
    """Owners buy; admins too when the team allows it."""
    if not membership:
        return False
    if membership.role == Role.OWNER:
        return True
    return membership.role == Role.ADMIN and profile_for(membership.tenant).admins_may_buy


@dataclass(frozen=True)
class Offer:
    credits: int
    currency: str
    amount: int  # minor units
    name: str
    pack: CreditPack | None


def offer_for_pack(pack_id) -> Offer:
    pack = (
        CreditPack.objects.on_sale().filter(pk=int(pack_id)).first()
        if validators.is_row_id(pack_id)
        else None
    )
    if pack is None:
        raise PaymentError(
            "pack: choose one of the packs on offer.", details={"pack": "unknown or not on sale"}
        )
    return Offer(pack.credits, pack.currency, pack.amount, f"{pack.name}: {pack.credits:,} credits", pack)


def base_pack() -> CreditPack | None:
    """The pack whose per-credit price prices a custom amount: the smallest on sale."""
    return CreditPack.objects.on_sale().order_by("credits", "price").first()


def offer_for_amount(credits: int) -> Offer:
    low, high = settings.TOPUP_MIN_CREDITS, settings.TOPUP_MAX_CREDITS
    if not low <= credits <= high:
        message = f"credits: choose between {low:,} and {high:,} credits."
        raise PaymentError(message, details={"credits": message})
    pack = base_pack()
    if pack is None:
        raise PaymentError("No credit packs are on sale, so there is no price for credits yet.")
    amount = -(-credits * pack.amount // pack.credits)  # rounded up to the minor unit
    return Offer(credits, pack.currency, amount, f"{credits:,} credits", None)


# --- Starting a purchase -----------------------------------------------------------------------


def start_checkout(tenant: Tenant, user, offer: Offer, site_url: str, request=None) -> Payment:
    """Record a pending payment and open a Stripe Checkout Session for it.

    The payment's `checkout_url` attribute is where to send the browser. Raises PaymentError.
    """
    if not settings.PAYMENTS_ENABLED:
        raise PaymentError("Buying credits is not available here: no payment provider is configured.")
    payment = Payment.objects.create(
        tenant=tenant,
        pack=offer.pack,
        credits=offer.credits,
        currency=offer.currency,
        amount=offer.amount,
        created_by=user,
    )
    back = site_url + reverse("billing:payment", args=[payment.pk])
    try:
        session = stripe_api.create_checkout(
            payment,
            offer.name,
            success_url=f"{back}?session_id={{CHECKOUT_SESSION_ID}}",
            cancel_url=f"{back}?cancelled=1",
            customer=profile_for(tenant).stripe_customer_id,
        )
    except stripe.StripeError as exc:
        _fail(payment, _stripe_message(exc))
        raise PaymentError(f"Stripe could not start the payment: {_stripe_message(exc)}") from exc
    with transaction.atomic():
        Payment.objects.filter(pk=payment.pk).update(checkout_session_id=session.id)
        payment.checkout_session_id = session.id
        audit.record(
            user,
            "payment.checkout",
            target=payment,
            after={"credits": payment.credits, "amount": payment.display_amount, "session": session.id},
            request=request,
        )
    payment.checkout_url = session.url
    return payment


def start_card_setup(tenant: Tenant, user, site_url: str, request=None) -> str:
    """Open a setup-mode Checkout Session to save a card; returns the URL to send the browser."""
    if not settings.PAYMENTS_ENABLED:
        raise PaymentError("Saving a card is not available here: no payment provider is configured.")
    profile = profile_for(tenant)
    back = site_url + reverse("billing:card_saved")
    try:
        if not profile.stripe_customer_id:
            customer = stripe_api.create_customer(tenant, getattr(user, "email", ""))
            PaymentProfile.objects.filter(pk=profile.pk, stripe_customer_id="").update(
                stripe_customer_id=customer
            )
            profile.refresh_from_db()
        attempt = timezone.now().strftime("%Y%m%d%H%M%S%f")
        session = stripe_api.create_card_setup(
            tenant, profile.stripe_customer_id, f"{back}?session_id={{CHECKOUT_SESSION_ID}}", back, attempt
        )
    except stripe.StripeError as exc:
        raise PaymentError(f"Stripe could not start saving a card: {_stripe_message(exc)}") from exc
    audit.record(user, "payment.card_setup", target=tenant, after={"session": session.id}, request=request)
    return session.url


# --- Webhook events: crediting -----------------------------------------------------------------


def credit(payment: Payment | None, reference: str, payment_intent: str = "") -> str:
    """Add the payment's credits once. `payment` was looked up by its Stripe ids (or metadata)."""
    if payment is None:
        return "no payment of ours"
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.paid_at is not None:
            return "already credited"
        billing.purchase(
            payment.tenant,
            payment.credits,
            reference,
            note=f"{payment.credits:,} credits bought for {payment.display_amount}",
        )
        payment.paid_at = timezone.now()
        payment.status = _status(payment)
        payment.failure_message = ""
        if payment_intent:
            payment.payment_intent_id = payment_intent
        payment.save()
        # A refund or dispute that arrived before this event is applied now.
        if payment.dispute_id:
            _reverse(payment, LedgerEntry.Kind.DISPUTE, payment.dispute_id)
        elif payment.refunded_amount:
            _reverse(payment, LedgerEntry.Kind.PAYMENT_REFUND, payment.charge_id)
    return "credited"


def checkout_paid(session: dict) -> str:
    payment = Payment.objects.filter(checkout_session_id=session["id"]).first()
    return credit(payment, session["id"], session.get("payment_intent") or "")


def checkout_closed(session: dict, status: str, message: str = "") -> str:
    """An expired session, or an asynchronous payment that failed: nothing to credit."""
    changed = Payment.objects.filter(
        checkout_session_id=session["id"], status=Payment.Status.PENDING, paid_at=None
    ).update(status=status, failure_message=message)
    return f"marked {status}" if changed else "nothing to change"


def recharge_paid(intent: dict) -> str:
    payment = _recharge_payment(intent)
    return credit(payment, intent["id"], intent["id"])


def recharge_failed(intent: dict) -> str:
    payment = _recharge_payment(intent)
    if payment is None:
        return "no payment of ours"
    error = intent.get("last_payment_error") or {}
    return fail_recharge(payment, error.get("message") or "The card was declined.")


def _recharge_payment(intent: dict) -> Payment | None:
    """Only automatic recharges are credited on their PaymentIntent; a Checkout payment's
    intent events are left to its session (metadata names our payment and team)."""
    meta = intent.get("metadata") or {}
    return Payment.objects.filter(
        Q(payment_intent_id=intent["id"]) | Q(pk=_int(meta.get("payment"))),
        kind=Payment.Kind.AUTO_RECHARGE,
        tenant_id=_int(meta.get("tenant")),
    ).first()


def charge_succeeded(charge: dict) -> str:
    """Remember the charge and its receipt link on the payment (found by its PaymentIntent, or,
    before the session's event told us that, by the metadata we gave the PaymentIntent)."""
    meta = charge.get("metadata") or {}
    match = Q(payment_intent_id=charge.get("payment_intent") or "-") | Q(
        pk=_int(meta.get("payment")), tenant_id=_int(meta.get("tenant"))
    )
    changed = Payment.objects.filter(match).update(
        charge_id=charge["id"], receipt_url=charge.get("receipt_url") or ""
    )
    return "receipt recorded" if changed else "no payment of ours"


def fill_receipt(payment: Payment) -> None:
    """Best effort after crediting: fetch the charge's receipt link if no event brought it."""
    if payment.receipt_url or not payment.payment_intent_id:
        return
    try:
        info = stripe_api.charge_of(payment.payment_intent_id)
    except stripe.StripeError:
        logger.warning(
            "Could not fetch the receipt of payment %s; charge.succeeded will bring it.", payment.pk
        )
        return
    if info is not None:
        Payment.objects.filter(pk=payment.pk).update(charge_id=info.charge_id, receipt_url=info.receipt_url)


# --- Webhook events: money going back ----------------------------------------------------------


def refunded(charge: dict) -> str:
    """charge.refunded: `amount_refunded` is the charge's cumulative refunded total."""
    with transaction.atomic():
        payment = _locked_payment_of_charge(charge)
        if payment is None:
            return "no payment of ours"
        total = int(charge.get("amount_refunded") or 0)
        if total <= payment.refunded_amount:
            return "refund already recorded"
        payment.refunded_amount = total
        payment.charge_id = charge["id"]
        payment.status = _status(payment)
        payment.save()
        taken = _reverse(payment, LedgerEntry.Kind.PAYMENT_REFUND, charge["id"])
    return f"refund recorded, {taken} credits taken back"


def disputed(dispute: dict) -> str:
    """charge.dispute.created: Stripe withdraws the disputed amount at once; so do we, in credits.
    Automatic recharge is turned off for the team until an owner turns it on again."""
    with transaction.atomic():
        payment = _locked_payment_of_charge(
            {"id": dispute.get("charge") or "", "payment_intent": dispute.get("payment_intent")}
        )
        if payment is None:
            return "no payment of ours"
        if payment.dispute_id == dispute["id"]:
            return "dispute already recorded"
        payment.dispute_id = dispute["id"]
        payment.disputed_amount = int(dispute.get("amount") or 0)
        payment.status = _status(payment)
        payment.save()
        taken = _reverse(payment, LedgerEntry.Kind.DISPUTE, dispute["id"])
        PaymentProfile.objects.filter(tenant_id=payment.tenant_id, auto_recharge=True).update(
            auto_recharge=False, disabled_reason=f"A payment was disputed ({dispute['id']})."
        )
    return f"dispute recorded, {taken} credits taken back"


def _status(payment: Payment) -> str:
    """What a payment's money says: disputed, refunded (fully or partly), paid, or unchanged."""
    if payment.dispute_id:
        return Payment.Status.DISPUTED
    if payment.refunded_amount:
        fully = payment.refunded_amount >= payment.amount
        return Payment.Status.REFUNDED if fully else Payment.Status.PARTIALLY_REFUNDED
    return Payment.Status.PAID if payment.paid_at else payment.status


def _locked_payment_of_charge(charge: dict) -> Payment | None:
    match = Q(charge_id=charge["id"]) if charge.get("id") else Q(pk__in=[])
    if charge.get("payment_intent"):
        match |= Q(payment_intent_id=charge["payment_intent"])
    return Payment.objects.select_for_update().filter(match).first()


def _reverse(payment: Payment, kind: str, reference: str) -> int:
    """Take back the credits the money returned so far stands for, minus what earlier events
    already took (or found missing). Call with the payment row locked. Returns credits taken."""
    if payment.paid_at is None or not payment.amount:
        return 0  # not credited yet: credit() applies what was returned when it runs
    returned = min(payment.amount, payment.refunded_amount + payment.disputed_amount)
    due = payment.credits * returned // payment.amount
    owed = due - payment.credits_reversed - payment.credits_unrecovered
    if owed <= 0:
        return 0
    what = "refunded" if kind == LedgerEntry.Kind.PAYMENT_REFUND else "disputed"
    note = f"{format_money(returned, payment.currency)} of {payment.display_amount} {what}"
    taken, short = billing.take_back(payment.tenant, owed, kind, reference, note=note)
    Payment.objects.filter(pk=payment.pk).update(
        credits_reversed=payment.credits_reversed + taken,
        credits_unrecovered=payment.credits_unrecovered + short,
    )
    payment.credits_reversed += taken
    payment.credits_unrecovered += short
    if short:
        logger.warning(
            "Payment %s: %s credits could not be taken back (spent or held); see credits_unrecovered.",
            payment.pk,
            short,
        )
    return taken


# --- Saved card and automatic recharge ---------------------------------------------------------


def card_saved(session: dict) -> str:
    """A setup-mode session completed: remember the card on the team whose customer it is."""
    profile = PaymentProfile.objects.filter(
        tenant_id=_int(session.get("client_reference_id")), stripe_customer_id=session.get("customer") or "-"
    ).first()
    if profile is None or not session.get("setup_intent"):
        return "no team of ours"
    card = stripe_api.card_of_setup(session["setup_intent"])
    PaymentProfile.objects.filter(pk=profile.pk).update(
        payment_method_id=card.payment_method, card_label=card.label[:60], disabled_reason=""
    )
    audit.record(None, "payment.card_saved", tenant=profile.tenant, after={"card": card.label})
    return "card saved"


def fail_recharge(payment: Payment, message: str) -> str:
    """A declined automatic recharge: the payment fails, recharge turns off, owners are told."""
    with transaction.atomic():
        changed = Payment.objects.filter(pk=payment.pk, paid_at=None).exclude(status=Payment.Status.FAILED)
        if not changed.update(status=Payment.Status.FAILED, failure_message=message[:500]):
            return "already failed"
        reason = f"The automatic recharge of {payment.display_amount} failed: {message}"
        PaymentProfile.objects.filter(tenant_id=payment.tenant_id).update(
            auto_recharge=False, disabled_reason=reason[:500]
        )
        audit.record(None, "payment.auto_recharge_off", target=payment, note=reason)
        transaction.on_commit(lambda: _email_owners(payment.tenant, reason))
    return "recharge failed, turned off"


def _email_owners(tenant: Tenant, reason: str) -> None:
    owners = (
        Membership.objects.for_tenant(tenant).filter(role=Role.OWNER).values_list("user__email", flat=True)
    )
    link = settings.SITE_URL + reverse("billing:overview")
    send_mail(
        f"Automatic recharge turned off for {tenant.name}",
        f"{reason}\n\nAutomatic recharge is off until an owner saves a working card and turns it "
        f"on again on the billing page: {link}\n",
        None,
        list(owners),
        fail_silently=True,
    )


# --- Helpers ------------------------------------------------------------------------------------


def _fail(payment: Payment, message: str) -> None:
    Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.FAILED, failure_message=message[:500])


def _stripe_message(exc: stripe.StripeError) -> str:
    return getattr(exc, "user_message", None) or str(exc) or type(exc).__name__


def _int(value) -> int | None:
    return int(value) if str(value or "").isdigit() else None


# --- Staff ---------------------------------------------------------------------------------------


def request_refund(payment: Payment, actor, request=None) -> str:
    """Ask Stripe to refund what is left of a paid payment; returns the Refund's id.

    Nothing changes here but the audit log: the credits go when Stripe's charge.refunded
    webhook arrives, like a refund made in Stripe's dashboard. Raises PaymentError.
    """
    left = payment.amount - payment.refunded_amount
    if payment.paid_at is None or not payment.payment_intent_id:
        raise PaymentError(f"Payment {payment.pk} was never paid, so there is nothing to refund.")
    if left <= 0:
        raise PaymentError(f"Payment {payment.pk} is refunded in full already.")
    try:
        refund_id = stripe_api.refund(payment, left, key=f"refund-{payment.pk}-{payment.refunded_amount}")
    except stripe.StripeError as exc:
        raise PaymentError(
            f"Stripe refused the refund of payment {payment.pk}: {_stripe_message(exc)}"
        ) from exc
    audit.record(
        actor,
        "payment.refund",
        target=payment,
        after={"refund": refund_id, "amount": format_money(left, payment.currency)},
        request=request,
    )
    return refund_id


# --- Reconciliation ------------------------------------------------------------------------------


def reconcile(tenant: Tenant) -> list[str]:
    """Every way the tenant's payments and its ledger disagree; empty when they agree.

    Checks: each credited payment has exactly one purchase entry of its credits, no purchase
    entry lacks a credited payment, and the refund and dispute entries add up to the credits
    the payments say were taken back.
    """
    problems = []
    entries = LedgerEntry.objects.for_tenant(tenant)
    purchases = dict(entries.filter(kind=LedgerEntry.Kind.PURCHASE).values_list("reference", "amount"))
    for payment in Payment.objects.for_tenant(tenant).exclude(paid_at=None):
        credited = purchases.pop(payment.reference, None)
        if credited != payment.credits:
            problems.append(
                f"payment {payment.pk} ({payment.reference}) is paid but its purchase entry is {credited}"
            )
    for reference in purchases:
        problems.append(f"purchase {reference} has no paid payment")
    taken = -sum(
        entries.filter(kind__in=[LedgerEntry.Kind.PAYMENT_REFUND, LedgerEntry.Kind.DISPUTE]).values_list(
            "amount", flat=True
        )
    )
    reversed_ = sum(Payment.objects.for_tenant(tenant).values_list("credits_reversed", flat=True))
    if taken != reversed_:
        problems.append(f"refunds and disputes took {taken} credits but the payments say {reversed_}")
    return problems
