"""Stripe's webhook: only genuine, fresh events move money, and each payment credits once."""

import time

import pytest
import stripe
from django.test import Client

from billing.models import LedgerEntry
from billing.payments.models import Payment, StripeEvent
from billing.services import balance
from tests.payments.conftest import deliver, event

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(tenant, starter):
    return Payment.objects.create(
        tenant=tenant, pack=starter, credits=500, currency="usd", amount=500, checkout_session_id="cs_test_a1"
    )


def completed(session_id="cs_test_a1", **fields):
    return {
        "id": session_id,
        "object": "checkout.session",
        "mode": "payment",
        "status": "complete",
        "payment_status": "paid",
        "amount_total": 500,
        "currency": "usd",
        "payment_intent": "pi_a1",
        **fields,
    }


def test_a_signed_checkout_completed_event_credits_the_payment_with_its_session_id(settings, pending, tenant):
    r = deliver(Client(), event("checkout.session.completed", completed()), settings.STRIPE_WEBHOOK_SECRET)
    assert r.status_code == 200 and r.json()["outcome"] == "credited"
    entry = LedgerEntry.objects.for_tenant(tenant).get()
    assert (entry.kind, entry.amount, entry.reference) == ("purchase", 500, "cs_test_a1")
    pending.refresh_from_db()
    assert pending.status == "paid" and pending.payment_intent_id == "pi_a1" and pending.paid_at
    assert balance(tenant).balance == 500


def test_the_sandbox_signs_exactly_as_stripe_so_the_stripe_library_accepts_it(settings):
    from billing.stripe_sandbox.stripe_objects import sign

    body = '{"id": "evt_x", "object": "event"}'
    header = sign(body, "whsec_abc", int(time.time()))
    assert stripe.WebhookSignature.verify_header(body, header, "whsec_abc", tolerance=300)


def test_an_event_signed_with_another_secret_is_refused_and_credits_nothing(pending, tenant):
    r = deliver(Client(), event("checkout.session.completed", completed()), "whsec_someone_else")
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_signature"
    assert balance(tenant).balance == 0 and not StripeEvent.objects.exists()


def test_an_event_signed_too_long_ago_is_refused(settings, pending, tenant):
    old = int(time.time()) - settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS - 60
    r = deliver(
        Client(), event("checkout.session.completed", completed()), settings.STRIPE_WEBHOOK_SECRET, old
    )
    assert r.status_code == 400 and "tolerance" in r.json()["error"]["message"]
    assert balance(tenant).balance == 0


@pytest.mark.parametrize("header", ["", "t=1", "v1=abc", "garbage"])
def test_a_missing_or_malformed_signature_header_is_refused(settings, pending, tenant, header):
    r = deliver(
        Client(),
        event("checkout.session.completed", completed()),
        settings.STRIPE_WEBHOOK_SECRET,
        header=header,
    )
    assert r.status_code == 400
    assert balance(tenant).balance == 0


def test_a_replayed_delivery_is_acknowledged_without_a_second_credit(settings, pending, tenant):
    payload = event("checkout.session.completed", completed())
    client = Client()
    first = deliver(client, payload, settings.STRIPE_WEBHOOK_SECRET)
    again = deliver(client, payload, settings.STRIPE_WEBHOOK_SECRET)
    assert first.status_code == again.status_code == 200
    assert again.json()["outcome"] == "duplicate event"
    assert balance(tenant).balance == 500
    assert LedgerEntry.objects.for_tenant(tenant).count() == 1


def test_two_events_for_one_session_credit_once(settings, pending, tenant):
    client = Client()
    deliver(client, event("checkout.session.completed", completed(), "evt_1"), settings.STRIPE_WEBHOOK_SECRET)
    r = deliver(
        client,
        event("checkout.session.async_payment_succeeded", completed(), "evt_2"),
        settings.STRIPE_WEBHOOK_SECRET,
    )
    assert r.json()["outcome"] == "already credited"
    assert balance(tenant).balance == 500


def test_a_completed_session_still_awaiting_an_asynchronous_payment_credits_nothing_yet(
    settings, pending, tenant
):
    client = Client()
    body = event("checkout.session.completed", completed(payment_status="unpaid"), "evt_1")
    assert deliver(client, body, settings.STRIPE_WEBHOOK_SECRET).json()["outcome"].startswith("waiting")
    assert balance(tenant).balance == 0
    later = event("checkout.session.async_payment_succeeded", completed(), "evt_2")
    assert deliver(client, later, settings.STRIPE_WEBHOOK_SECRET).json()["outcome"] == "credited"
    assert balance(tenant).balance == 500


def test_an_expired_session_marks_the_payment_expired(settings, pending, tenant):
    body = event("checkout.session.expired", completed(status="expired", payment_status="unpaid"))
    deliver(Client(), body, settings.STRIPE_WEBHOOK_SECRET)
    pending.refresh_from_db()
    assert pending.status == "expired" and balance(tenant).balance == 0


def test_a_session_that_is_not_ours_and_events_we_do_not_use_are_acknowledged(settings, pending, tenant):
    client = Client()
    r = deliver(
        client,
        event("checkout.session.completed", completed("cs_test_other"), "evt_1"),
        settings.STRIPE_WEBHOOK_SECRET,
    )
    assert r.status_code == 200 and r.json()["outcome"] == "no payment of ours"
    r = deliver(
        client,
        event("customer.created", {"id": "cus_1", "object": "customer"}, "evt_2"),
        settings.STRIPE_WEBHOOK_SECRET,
    )
    assert r.status_code == 200 and r.json()["outcome"] == "ignored"
    assert balance(tenant).balance == 0


def test_a_signed_body_that_is_not_an_event_is_refused(settings):
    r = deliver(Client(), "[1, 2]", settings.STRIPE_WEBHOOK_SECRET)
    assert r.status_code == 400
    r = deliver(Client(), "not json", settings.STRIPE_WEBHOOK_SECRET)
    assert r.status_code == 400


def test_the_webhook_answers_only_post(client):
    assert client.get("/billing/stripe/webhook/").status_code == 405


def test_an_event_that_needs_stripe_while_stripe_fails_is_answered_503_to_be_sent_again(settings, tenant):
    from billing.payments.models import PaymentProfile

    PaymentProfile.objects.create(tenant=tenant, stripe_customer_id="cus_1")
    session = {
        "id": "cs_test_setup",
        "object": "checkout.session",
        "mode": "setup",
        "customer": "cus_1",
        "client_reference_id": str(tenant.pk),
        "setup_intent": "seti_unknown_to_stripe",
    }
    r = deliver(Client(), event("checkout.session.completed", session), settings.STRIPE_WEBHOOK_SECRET)
    assert r.status_code == 503 and r.json()["error"]["code"] == "stripe_unavailable"
    # Nothing was kept, so Stripe's next delivery of the same event is handled afresh.
    assert not StripeEvent.objects.exists()
    assert PaymentProfile.objects.get(tenant=tenant).payment_method_id == ""
