"""The pretend Stripe account behind the payment sandbox: objects shaped as Stripe's API
reference shows them ("The Checkout Session object", "The PaymentIntent object", "The Charge
object", "The Refund object", "The Dispute object", "The Event object"), stored as JSON, and
events delivered to our webhook endpoint signed exactly as Stripe signs them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time

from django.conf import settings
from django.urls import reverse

from billing.payments import stripe_api
from billing.stripe_sandbox.models import SandboxStripeObject

logger = logging.getLogger(__name__)

API_VERSION = "2026-10-28.endive"  # what the stripe library in use sends and expects
DECLINING_CARD = "0341"  # Stripe's test card 4000 0000 0000 0341: saves fine, every charge declines
PREFIXES = {
    "customer": "cus",
    "checkout.session": "cs_test",
    "payment_intent": "pi",
    "charge": "ch",
    "setup_intent": "seti",
    "payment_method": "pm",
    "refund": "re",
    "dispute": "du",
    "event": "evt",
}


def new_id(kind: str) -> str:
    return f"{PREFIXES[kind]}_{secrets.token_hex(12)}"


def create(kind: str, **fields) -> dict:
    data = {"id": new_id(kind), "object": kind, "created": int(time.time()), "livemode": False, **fields}
    SandboxStripeObject.objects.create(id=data["id"], object=kind, data=data)
    return data


def get(object_id: str, kind: str | None = None) -> dict | None:
    row = SandboxStripeObject.objects.filter(pk=object_id).first()
    if row is None or (kind and row.object != kind):
        return None
    return row.data


def save(data: dict) -> dict:
    SandboxStripeObject.objects.filter(pk=data["id"]).update(data=data)
    return data


def public_url(name: str, *args) -> str:
    return settings.SITE_URL + reverse(f"stripe_sandbox:{name}", args=args)


# --- Payments --------------------------------------------------------------------------------


def pay(amount: int, currency: str, *, customer=None, payment_method=None, metadata=None, description=""):
    """A succeeded PaymentIntent with its charge; returns (intent, charge)."""
    intent_id = new_id("payment_intent")
    charge = create(
        "charge",
        amount=amount,
        amount_captured=amount,
        amount_refunded=0,
        currency=currency,
        customer=customer,
        description=description or None,
        disputed=False,
        metadata=metadata or {},
        paid=True,
        payment_intent=intent_id,
        payment_method=payment_method,
        refunded=False,
        status="succeeded",
    )
    charge["receipt_url"] = public_url("receipt", charge["id"])
    save(charge)
    intent = {
        "id": intent_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_received": amount,
        "created": int(time.time()),
        "currency": currency,
        "customer": customer,
        "description": description or None,
        "last_payment_error": None,
        "latest_charge": charge["id"],
        "livemode": False,
        "metadata": metadata or {},
        "payment_method": payment_method,
        "status": "succeeded",
    }
    SandboxStripeObject.objects.create(id=intent_id, object="payment_intent", data=intent)
    return intent, charge


def declined_intent(amount: int, currency: str, *, customer, payment_method, metadata) -> dict:
    error = {
        "code": "card_declined",
        "decline_code": "generic_decline",
        "message": "Your card was declined.",
        "type": "card_error",
    }
    return create(
        "payment_intent",
        amount=amount,
        amount_received=0,
        currency=currency,
        customer=customer,
        last_payment_error=error,
        latest_charge=None,
        metadata=metadata or {},
        payment_method=payment_method,
        status="requires_payment_method",
    )


# --- Webhooks ----------------------------------------------------------------------------------


def sign(payload: str, secret: str, timestamp: int) -> str:
    """Stripe's `Stripe-Signature` header: t=<time>,v1=<hex HMAC-SHA256 of "<time>.<body>">."""
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def send_event(event_type: str, obj: dict) -> int | None:
    """Deliver one event to our webhook endpoint, as Stripe would; returns the HTTP status."""
    event = create(
        "event",
        api_version=API_VERSION,
        data={"object": obj},
        pending_webhooks=1,
        request={"id": None, "idempotency_key": None},
        type=event_type,
    )
    payload = json.dumps(event)
    url = settings.SITE_URL + reverse("billing:stripe_webhook")
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "Stripe-Signature": sign(payload, settings.STRIPE_WEBHOOK_SECRET, int(time.time())),
        "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
    }
    try:
        response = stripe_api.http_client().post(url, content=payload, headers=headers)
    except Exception as exc:  # noqa: BLE001 - like Stripe, a failed delivery is logged, not raised
        logger.warning("Payment sandbox: delivering %s to %s failed: %s", event_type, url, exc)
        return None
    if response.status_code >= 300:
        logger.warning("Payment sandbox: %s answered %s to %s", url, response.status_code, event_type)
    return response.status_code
