"""Webhooks racing on PostgreSQL row locks: one Checkout Session, many deliveries at once (the
same event twice, other events for it, the return page polling), one credit. SQLite
serialises every write transaction, so these only prove something on PostgreSQL."""

import pytest
from django.test import Client

from billing.models import LedgerEntry
from billing.payments.models import Payment, StripeEvent
from billing.services import balance
from tests import races
from tests.conftest import postgres_only
from tests.payments.conftest import deliver, event

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]


def session(**fields):
    return {
        "id": "cs_test_race",
        "object": "checkout.session",
        "mode": "payment",
        "payment_status": "paid",
        "payment_intent": "pi_race",
        **fields,
    }


def test_racing_webhooks_for_one_session_and_the_return_page_credit_once(
    settings, tenant, alice, books_agree
):
    payment = Payment.objects.create(
        tenant=tenant, credits=500, currency="usd", amount=500, checkout_session_id="cs_test_race"
    )
    secret = settings.STRIPE_WEBHOOK_SECRET
    completed = event("checkout.session.completed", session(), "evt_completed")
    deliveries = [
        # Stripe's retry of the same event, twice over, and a second event for the same session.
        *[lambda: deliver(Client(), completed, secret) for _ in range(4)],
        *[
            lambda i=i: deliver(
                Client(), event("checkout.session.async_payment_succeeded", session(), f"evt_a{i}"), secret
            )
            for i in range(4)
        ],
    ]

    def return_page():
        client = Client()
        client.force_login(alice)
        return client.get(f"/billing/payments/{payment.pk}/?session_id=cs_test_race")

    results, errors = races.race(*deliveries, return_page, return_page)
    assert errors == []
    assert all(r.status_code == 200 for r in results)
    outcomes = sorted(r.json()["outcome"] for r in results[:8])
    assert outcomes.count("credited") == 1
    assert outcomes.count("duplicate event") == 3
    assert outcomes.count("already credited") == 4
    assert LedgerEntry.objects.filter(kind="purchase", reference="cs_test_race").count() == 1
    assert balance(tenant).balance == 500
    assert StripeEvent.objects.count() == 5
    books_agree(tenant)


def test_racing_refund_and_dispute_events_take_back_at_most_what_was_bought(settings, tenant, books_agree):
    Payment.objects.create(
        tenant=tenant, credits=500, currency="usd", amount=500, checkout_session_id="cs_test_race"
    )
    secret = settings.STRIPE_WEBHOOK_SECRET
    deliver(Client(), event("checkout.session.completed", session(), "evt_paid"), secret)
    charge = {"id": "ch_race", "object": "charge", "payment_intent": "pi_race", "amount": 500}
    dispute = {
        "id": "du_race",
        "object": "dispute",
        "amount": 500,
        "charge": "ch_race",
        "payment_intent": "pi_race",
    }
    calls = [
        *[
            lambda i=i: deliver(
                Client(),
                event("charge.refunded", {**charge, "amount_refunded": 250 * (1 + i % 2)}, f"evt_r{i}"),
                secret,
            )
            for i in range(4)
        ],
        *[
            lambda i=i: deliver(Client(), event("charge.dispute.created", dispute, f"evt_d{i}"), secret)
            for i in range(2)
        ],
    ]
    results, errors = races.race(*calls)
    assert errors == [] and all(r.status_code == 200 for r in results)
    payment = Payment.objects.get()
    assert payment.credits_reversed + payment.credits_unrecovered == 500
    assert balance(tenant).balance == 0
    assert LedgerEntry.objects.filter(kind="dispute").count() <= 1
    books_agree(tenant)
