"""Automatic recharge: "when the available credits fall below X, buy pack Y", at most N a day.

`run_due()` runs every minute (a django-q2 schedule). For each team with recharge on, below
its threshold, with no recharge in flight and fewer than N attempts since 00:00 UTC, it
records a pending payment and charges the saved card off-session. The credits come with the
payment_intent.succeeded webhook, like every other payment; a declined card turns recharge
off and emails the owners (services.fail_recharge).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import stripe
from django.db import transaction
from django.utils import timezone

from billing import services as billing
from billing.payments import stripe_api
from billing.payments.models import Payment, PaymentProfile
from billing.payments.services import fail_recharge

logger = logging.getLogger(__name__)

# A recharge still pending after this long (its webhook never came) no longer blocks the next.
IN_FLIGHT_FOR = timedelta(hours=1)


def run_due() -> str:
    ids = list(PaymentProfile.objects.filter(auto_recharge=True).values_list("pk", flat=True))
    outcomes = [recharge_if_due(pk) for pk in ids]
    started = sum(1 for o in outcomes if o == "charged")
    return f"{len(ids)} teams checked, {started} recharges started"


def recharge_if_due(profile_id: int) -> str:
    """Start one recharge for the team if it is due; returns what happened, in words."""
    now = timezone.now()
    with transaction.atomic():
        # The profile lock makes two sweeps (or two workers) decide one at a time.
        profile = PaymentProfile.objects.select_for_update().filter(pk=profile_id).first()
        if profile is None or not profile.auto_recharge or not profile.has_card:
            return "off"
        pack = profile.recharge_pack
        if pack is None or not pack.active:
            return "no pack"
        if billing.balance(profile.tenant).available >= profile.recharge_below:
            return "not due"
        recharges = Payment.objects.for_tenant(profile.tenant).filter(kind=Payment.Kind.AUTO_RECHARGE)
        if recharges.filter(status=Payment.Status.PENDING, created_at__gte=now - IN_FLIGHT_FOR).exists():
            return "in flight"
        midnight = datetime.combine(now.astimezone(UTC).date(), datetime.min.time(), UTC)
        if recharges.filter(created_at__gte=midnight).count() >= profile.recharges_per_day:
            return "daily limit"
        payment = Payment.objects.create(
            tenant=profile.tenant,
            kind=Payment.Kind.AUTO_RECHARGE,
            pack=pack,
            credits=pack.credits,
            currency=pack.currency,
            amount=pack.amount,
        )
    try:
        intent = stripe_api.charge_saved_card(payment, profile.stripe_customer_id, profile.payment_method_id)
    except stripe.CardError as exc:
        fail_recharge(payment, exc.user_message or "The card was declined.")
        return "declined"
    except stripe.StripeError as exc:
        # Not the card's fault (Stripe unreachable, ...): this attempt fails, recharge stays on.
        # Should Stripe have charged after all, its webhook still credits the payment.
        logger.warning("Automatic recharge %s could not reach Stripe: %s", payment.pk, exc)
        Payment.objects.filter(pk=payment.pk, paid_at=None).update(
            status=Payment.Status.FAILED, failure_message=str(exc)[:500]
        )
        return "error"
    Payment.objects.filter(pk=payment.pk, payment_intent_id=None).update(payment_intent_id=intent)
    return "charged"
