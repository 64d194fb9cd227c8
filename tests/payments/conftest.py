"""Payments against the local payment sandbox, in this process: the stripe library's requests
to STRIPE_API_BASE and the sandbox's signed webhooks to /billing/stripe/webhook/ both go
through httpx into this Django process (no server, no network)."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client

from billing.payments import stripe_api
from billing.payments.models import CreditPack
from billing.payments.services import reconcile as reconcile_payments
from billing.stripe_sandbox.stripe_objects import sign
from generations.holds import reconcile

WEBHOOK = "/billing/stripe/webhook/"


@pytest.fixture(autouse=True)
def payment_sandbox(settings):
    """PAYMENTS_SANDBOX on and every Stripe call served in-process by /sandbox/stripe/ (autouse:
    no payment test ever reaches the network)."""
    from generations.sandbox.testing import in_process_client

    settings.PAYMENTS_SANDBOX = True
    settings.PAYMENTS_ENABLED = True
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_API_BASE = f"{settings.SITE_URL}/sandbox/stripe"
    with stripe_api.use_http_client(in_process_client(settings.SITE_URL)):
        yield


@pytest.fixture
def books_agree():
    """Call with a tenant: fails with the reason when its ledger, balance and holds disagree."""

    def check(tenant):
        assert reconcile(tenant) == []
        assert reconcile_payments(tenant) == []

    return check


@pytest.fixture
def starter(db):
    """The seeded 500-credit pack for 5.00 USD."""
    return CreditPack.objects.get(name="Starter")


@pytest.fixture
def owner_client(alice, tenant):
    client = Client()
    client.force_login(alice)
    return client


def event(type_: str, obj: dict, event_id: str = "evt_1") -> dict:
    return {
        "id": event_id,
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": int(time.time()),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": type_,
    }


def deliver(
    client, payload: dict | str, secret: str, timestamp: int | None = None, header: str | None = None
):
    """POST an event to the webhook endpoint, signed as Stripe signs (or with `header` as given)."""
    body = payload if isinstance(payload, str) else json.dumps(payload)
    if header is None:
        header = sign(body, secret, int(time.time()) if timestamp is None else timestamp)
    return client.post(WEBHOOK, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)
