"""Stripe's webhook events: verify the signature, handle each event id once, dispatch by type.

Stripe signs each delivery with the endpoint's secret: header `Stripe-Signature:
t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. A delivery whose signature does not
match, or that was signed more than STRIPE_WEBHOOK_TOLERANCE_SECONDS ago, is refused (400) and
changes nothing. An event id seen before is acknowledged (200) and changes nothing. Events of
types we do not use are acknowledged too, so Stripe stops sending them.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction

from billing.payments import services
from billing.payments.models import Payment, StripeEvent


class BadDelivery(Exception):
    """Not a genuine, fresh Stripe event (the message says why)."""


def verify(payload: bytes, signature: str | None) -> dict:
    """The event, if Stripe signed exactly this body recently; raises BadDelivery otherwise."""
    try:
        stripe.WebhookSignature.verify_header(
            payload, signature, settings.STRIPE_WEBHOOK_SECRET, settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS
        )
        event = json.loads(payload)
    except stripe.SignatureVerificationError as exc:
        raise BadDelivery(f"Stripe-Signature: {exc.user_message or exc}") from exc
    except ValueError as exc:
        raise BadDelivery("The body is not JSON.") from exc
    if not isinstance(event, dict) or not event.get("id") or not isinstance(event.get("data"), dict):
        raise BadDelivery("The body is not a Stripe event.")
    return event


def _session_completed(session: dict) -> str:
    if session.get("mode") == "setup":
        return services.card_saved(session)
    if session.get("payment_status") == "paid":
        return services.checkout_paid(session)
    return "waiting for the asynchronous payment"


HANDLERS: dict[str, Callable[[dict], str]] = {
    "checkout.session.completed": _session_completed,
    "checkout.session.async_payment_succeeded": services.checkout_paid,
    "checkout.session.async_payment_failed": lambda s: services.checkout_closed(
        s, Payment.Status.FAILED, "The payment failed."
    ),
    "checkout.session.expired": lambda s: services.checkout_closed(s, Payment.Status.EXPIRED),
    "payment_intent.succeeded": services.recharge_paid,
    "payment_intent.payment_failed": services.recharge_failed,
    "charge.succeeded": services.charge_succeeded,
    "charge.refunded": services.refunded,
    "charge.dispute.created": services.disputed,
}


def handle(event: dict) -> str:
    """Apply a verified event once; returns what happened, in words (logged on the event row)."""
    handler = HANDLERS.get(event.get("type", ""))
    obj = event["data"].get("object") or {}
    try:
        with transaction.atomic():
            # Inserted first: a concurrent delivery of the same event waits on this row's key
            # and then fails the insert, so an event is handled once.
            row = StripeEvent.objects.create(id=event["id"], type=str(event.get("type", ""))[:100])
            outcome = handler(obj) if handler else "ignored"
            row.outcome = outcome[:200]
            row.payment = _payment_of(obj)
            row.save(update_fields=["outcome", "payment"])
    except IntegrityError:
        if StripeEvent.objects.filter(pk=event["id"]).exists():
            return "duplicate event"
        raise
    if outcome == "credited":
        payment = _payment_of(obj)
        if payment is not None:
            services.fill_receipt(payment)
    return outcome


def _payment_of(obj: dict) -> Payment | None:
    ids = [obj.get("id"), obj.get("payment_intent"), obj.get("charge")]
    for value in filter(None, ids):
        if not isinstance(value, str):
            continue
        payment = (
            Payment.objects.filter(checkout_session_id=value).first()
            or Payment.objects.filter(payment_intent_id=value).first()
            or Payment.objects.filter(charge_id=value).first()
        )
        if payment is not None:
            return payment
    return None
