"""Our Stripe calls at the HTTP boundary: the real stripe library sends its requests through
httpx, respx answers with response bodies recorded from Stripe's API reference (data/*.json),
and we check what was sent and what we made of the answer."""

import json
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
import respx
import stripe

from billing.payments import stripe_api
from billing.payments.models import Payment

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
API = "https://api.stripe.com"


def recorded(name: str) -> dict:
    body = json.loads((DATA / name).read_text())
    body.pop("_source", None)
    return body


@pytest.fixture
def stripe_live(settings):
    """The real Stripe's address and a (test-mode) key; respx answers instead of Stripe."""
    settings.STRIPE_SECRET_KEY = "sk_test_123"
    settings.STRIPE_API_BASE = API
    with respx.mock(base_url=API, assert_all_called=True) as mock, stripe_api.use_http_client(httpx.Client()):
        yield mock


@pytest.fixture
def payment(tenant):
    return Payment.objects.create(
        tenant=tenant,
        credits=500,
        currency="usd",
        amount=500,
        payment_intent_id="pi_3MtwBwLkdIwHu7ix28a3tqPa",
    )


def form(request) -> dict:
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


def test_create_checkout_sends_the_price_and_our_ids_and_returns_the_session(stripe_live, payment):
    route = stripe_live.post("/v1/checkout/sessions").mock(
        return_value=httpx.Response(200, json=recorded("checkout_session.json"))
    )
    redirect = stripe_api.create_checkout(payment, "Starter: 500 credits", "https://s/ok", "https://s/back")
    assert redirect.id.startswith("cs_test_") and redirect.url.startswith("https://checkout.stripe.com/")
    sent = route.calls.last.request
    assert sent.headers["Authorization"] == "Bearer sk_test_123"
    assert sent.headers["Idempotency-Key"] == f"checkout-{payment.pk}"
    params = form(sent)
    assert params["mode"] == "payment"
    assert params["line_items[0][price_data][unit_amount]"] == "500"
    assert params["line_items[0][price_data][currency]"] == "usd"
    assert params["line_items[0][price_data][product_data][name]"] == "Starter: 500 credits"
    assert params["metadata[payment]"] == str(payment.pk)
    assert params["payment_intent_data[metadata][tenant]"] == str(payment.tenant_id)
    assert params["success_url"] == "https://s/ok"


def test_a_declined_off_session_charge_raises_card_error(stripe_live, payment):
    stripe_live.post("/v1/payment_intents").mock(
        return_value=httpx.Response(402, json=recorded("card_declined.json"))
    )
    with pytest.raises(stripe.CardError) as raised:
        stripe_api.charge_saved_card(payment, "cus_NffrFeUfNV2Hib", "pm_1MtwBwLkdIwHu7ixAoBBqZxW")
    assert raised.value.user_message == "Your card was declined."


def test_an_off_session_charge_confirms_with_the_saved_card(stripe_live, payment):
    route = stripe_live.post("/v1/payment_intents").mock(
        return_value=httpx.Response(200, json=recorded("payment_intent_succeeded.json"))
    )
    assert stripe_api.charge_saved_card(payment, "cus_1", "pm_1") == "pi_3MtwBwLkdIwHu7ix28a3tqPa"
    params = form(route.calls.last.request)
    assert (params["off_session"], params["confirm"], params["payment_method"]) == ("true", "true", "pm_1")
    assert route.calls.last.request.headers["Idempotency-Key"] == f"recharge-{payment.pk}"


def test_the_receipt_comes_from_the_payment_intents_latest_charge(stripe_live, payment):
    route = stripe_live.get("/v1/payment_intents/pi_3MtwBwLkdIwHu7ix28a3tqPa").mock(
        return_value=httpx.Response(200, json=recorded("payment_intent_with_charge.json"))
    )
    info = stripe_api.charge_of("pi_3MtwBwLkdIwHu7ix28a3tqPa")
    assert info.charge_id == "ch_3MtwBwLkdIwHu7ix28a3tqPa"
    assert info.receipt_url.startswith("https://pay.stripe.com/receipts/")
    assert route.calls.last.request.url.params["expand[0]"] == "latest_charge"


def test_a_refund_names_the_payment_intent_and_amount(stripe_live, payment):
    route = stripe_live.post("/v1/refunds").mock(
        return_value=httpx.Response(200, json=recorded("refund.json"))
    )
    assert stripe_api.refund(payment, 500, key="refund-1-0") == "re_1Nispe2eZvKYlo2Cd31jOCgZ"
    params = form(route.calls.last.request)
    assert (params["payment_intent"], params["amount"]) == ("pi_3MtwBwLkdIwHu7ix28a3tqPa", "500")


def test_the_saved_card_is_read_from_the_setup_intent(stripe_live):
    stripe_live.get("/v1/setup_intents/seti_1Mm8s8LkdIwHu7ix0OXBfTRG").mock(
        return_value=httpx.Response(200, json=recorded("setup_intent_with_card.json"))
    )
    card = stripe_api.card_of_setup("seti_1Mm8s8LkdIwHu7ix0OXBfTRG")
    assert (card.payment_method, card.label) == ("pm_1MtwBwLkdIwHu7ixAoBBqZxW", "visa •••• 4242")


def test_stripe_being_unreachable_is_an_api_connection_error(stripe_live, payment, settings):
    settings.STRIPE_MAX_NETWORK_RETRIES = 0  # the library's backoff sleeps; one attempt shows it
    stripe_live.post("/v1/refunds").mock(side_effect=httpx.ConnectError("down"))
    with pytest.raises(stripe.APIConnectionError):
        stripe_api.refund(payment, 500, key="refund-1-0")


def test_saving_a_card_creates_the_customer_then_a_setup_mode_session(stripe_live, tenant):
    customers = stripe_live.post("/v1/customers").mock(
        return_value=httpx.Response(200, json=recorded("customer.json"))
    )
    sessions = stripe_live.post("/v1/checkout/sessions").mock(
        return_value=httpx.Response(200, json=recorded("checkout_session_setup.json"))
    )
    customer = stripe_api.create_customer(tenant, "alice@example.org")
    assert customer == "cus_NffrFeUfNV2Hib"
    sent = form(customers.calls.last.request)
    assert (sent["email"], sent["metadata[tenant]"]) == ("alice@example.org", str(tenant.pk))
    assert customers.calls.last.request.headers["Idempotency-Key"] == f"customer-{tenant.pk}"

    redirect = stripe_api.create_card_setup(tenant, customer, "https://s/saved", "https://s/back", "a1")
    assert redirect.url.startswith("https://checkout.stripe.com/")
    sent = form(sessions.calls.last.request)
    assert (sent["mode"], sent["customer"], sent["metadata[purpose]"]) == ("setup", customer, "save_card")
    assert "line_items[0][quantity]" not in sent
