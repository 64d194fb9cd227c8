"""Every call we make to Stripe's API, through the `stripe` library.

The library talks HTTP through httpx here (our one HTTP client), to STRIPE_API_BASE: Stripe
itself, or the local payment sandbox (billing.stripe_sandbox) when no key is set. Tests swap
the httpx client with `use_http_client()` (respx, or a transport into this process), so the
library's own request and response code always runs.

Functions return plain values (ids, urls); Stripe's errors surface as `stripe.StripeError`
subclasses: `CardError` for a declined card, `APIConnectionError` when Stripe is unreachable.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import stripe
from django.conf import settings

_override: httpx.Client | None = None
_default: httpx.Client | None = None


class _HttpxClient(stripe.HTTPClient):
    """The stripe library's transport on an httpx.Client (the library retries; we only send)."""

    name = "httpx"

    def __init__(self, client: httpx.Client):
        super().__init__()
        self._client = client

    def request(self, method, url, headers, post_data=None):
        try:
            response = self._client.request(method, url, headers=headers, content=post_data)
        except httpx.HTTPError as exc:
            raise stripe.APIConnectionError(f"Could not reach Stripe ({exc}).", should_retry=True) from exc
        return response.content, response.status_code, response.headers

    def request_stream(self, method, url, headers, post_data=None):
        raise NotImplementedError("No streaming Stripe endpoint is used.")

    def close(self):
        pass  # the httpx client outlives this wrapper


@contextmanager
def use_http_client(client: httpx.Client) -> Iterator[None]:
    """Send every Stripe call (and the sandbox's webhooks) through `client` while in the block."""
    global _override
    previous, _override = _override, client
    try:
        yield
    finally:
        _override = previous


def http_client() -> httpx.Client:
    global _default
    if _override is not None:
        return _override
    if _default is None:  # one pooled client per process
        _default = httpx.Client(timeout=httpx.Timeout(settings.STRIPE_TIMEOUT_SECONDS, connect=5.0))
    return _default


def client() -> stripe.StripeClient:
    key = settings.STRIPE_SECRET_KEY or settings.STRIPE_SANDBOX_KEY
    return stripe.StripeClient(
        key,
        base_addresses={"api": settings.STRIPE_API_BASE},
        http_client=_HttpxClient(http_client()),
        max_network_retries=settings.STRIPE_MAX_NETWORK_RETRIES,
    )


@dataclass(frozen=True)
class Redirect:
    id: str
    url: str


def create_checkout(payment, name: str, success_url: str, cancel_url: str, customer: str = "") -> Redirect:
    """A Checkout Session (payment mode) selling `payment.credits` for `payment.amount`."""
    params = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": payment.currency,
                    "unit_amount": payment.amount,
                    "product_data": {"name": name},
                },
            }
        ],
        "client_reference_id": str(payment.tenant_id),
        "metadata": _metadata(payment),
        "payment_intent_data": {"metadata": _metadata(payment)},
        "success_url": success_url,
        "cancel_url": cancel_url,
    }
    if customer:
        params["customer"] = customer
    session = client().v1.checkout.sessions.create(params, {"idempotency_key": f"checkout-{payment.pk}"})
    return Redirect(id=session.id, url=session.url)


def create_customer(tenant, email: str) -> str:
    customer = client().v1.customers.create(
        {"name": tenant.name, "email": email, "metadata": {"tenant": str(tenant.pk)}},
        {"idempotency_key": f"customer-{tenant.pk}"},
    )
    return customer.id


def create_card_setup(tenant, customer: str, success_url: str, cancel_url: str, attempt: str) -> Redirect:
    """A Checkout Session in setup mode: the customer saves a card for automatic recharge."""
    session = client().v1.checkout.sessions.create(
        {
            "mode": "setup",
            "currency": "usd",
            "customer": customer,
            "client_reference_id": str(tenant.pk),
            "metadata": {"tenant": str(tenant.pk), "purpose": "save_card"},
            "success_url": success_url,
            "cancel_url": cancel_url,
        },
        {"idempotency_key": f"card-setup-{tenant.pk}-{attempt}"},
    )
    return Redirect(id=session.id, url=session.url)


@dataclass(frozen=True)
class Card:
    payment_method: str
    label: str


def card_of_setup(setup_intent: str) -> Card:
    """The card a completed setup-mode session saved (its SetupIntent's payment method)."""
    intent = client().v1.setup_intents.retrieve(setup_intent, {"expand": ["payment_method"]})
    method = intent.payment_method
    card = getattr(method, "card", None)
    label = f"{card.brand} •••• {card.last4}" if card is not None else method.type
    return Card(payment_method=method.id, label=label)


def charge_saved_card(payment, customer: str, payment_method: str) -> str:
    """Charge an automatic recharge off-session; returns the PaymentIntent's id.

    Credits follow the payment_intent.succeeded webhook. Raises stripe.CardError when the card
    is declined (Stripe answers 402 and sends payment_intent.payment_failed).
    """
    intent = client().v1.payment_intents.create(
        {
            "amount": payment.amount,
            "currency": payment.currency,
            "customer": customer,
            "payment_method": payment_method,
            "off_session": True,
            "confirm": True,
            "description": f"{payment.credits} credits (automatic recharge)",
            "metadata": _metadata(payment),
        },
        {"idempotency_key": f"recharge-{payment.pk}"},
    )
    return intent.id


@dataclass(frozen=True)
class ChargeInfo:
    charge_id: str
    receipt_url: str


def charge_of(payment_intent: str) -> ChargeInfo | None:
    """The charge of a PaymentIntent (for its receipt link), or None before there is one."""
    intent = client().v1.payment_intents.retrieve(payment_intent, {"expand": ["latest_charge"]})
    charge = intent.latest_charge
    if not charge:
        return None
    if isinstance(charge, str):
        return ChargeInfo(charge_id=charge, receipt_url="")
    return ChargeInfo(charge_id=charge.id, receipt_url=charge.receipt_url or "")


def refund(payment, amount: int | None, key: str) -> str:
    """Ask Stripe to refund `amount` (minor units; None = what is left) of the payment.

    Returns the Refund's id. The credits are taken back when Stripe's charge.refunded webhook
    arrives, not here.
    """
    params: dict = {"payment_intent": payment.payment_intent_id, "metadata": _metadata(payment)}
    if amount is not None:
        params["amount"] = amount
    return client().v1.refunds.create(params, {"idempotency_key": key}).id


def _metadata(payment) -> dict:
    return {"payment": str(payment.pk), "tenant": str(payment.tenant_id), "credits": str(payment.credits)}
