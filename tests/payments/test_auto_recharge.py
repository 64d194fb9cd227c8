"""Automatic recharge: save a card (Checkout in setup mode), then "below X, buy pack Y", at most
N times a day; a declined card turns it off and tells the owners."""

import pytest
import time_machine
from django.utils import timezone

from accounts.models import AuditEvent
from billing.models import LedgerEntry
from billing.payments import recharge
from billing.payments.models import Payment, PaymentProfile
from billing.services import balance
from generations import holds
from tests.factories import make_generation

pytestmark = pytest.mark.django_db


def save_card(client, card="4242"):
    r = client.post("/billing/card/")
    assert r.status_code == 302 and "/sandbox/stripe/checkout/cs_test_" in r["Location"]
    path = "/" + r["Location"].split("://", 1)[1].split("/", 1)[1]
    assert "Save a card" in client.get(path).content.decode()
    back = client.post(path, {"card": card})
    assert back.status_code == 302 and "/billing/card/saved/?session_id=cs_test_" in back["Location"]
    return back


@pytest.fixture
def recharging(owner_client, tenant, starter):
    """Alice saved a good card and asked for the Starter pack below 100 available credits, twice a day."""
    save_card(owner_client)
    r = owner_client.post(
        "/billing/auto-recharge/",
        {
            "auto_recharge": "on",
            "recharge_below": "100",
            "recharge_pack": starter.pk,
            "recharges_per_day": "2",
        },
    )
    assert r.status_code == 302
    profile = PaymentProfile.objects.get(tenant=tenant)
    assert profile.auto_recharge and profile.recharge_pack == starter
    return profile


def test_saving_a_card_goes_through_checkout_in_setup_mode_and_arrives_by_webhook(owner_client, tenant):
    back = save_card(owner_client)
    profile = PaymentProfile.objects.get(tenant=tenant)
    assert profile.payment_method_id.startswith("pm_") and profile.card_label == "visa •••• 4242"
    assert profile.stripe_customer_id.startswith("cus_")
    page = owner_client.get(back["Location"].split("testserver")[-1]).content.decode()
    assert "visa •••• 4242" in page
    assert AuditEvent.objects.filter(action="payment.card_saved", tenant=tenant).exists()


def test_recharge_cannot_be_turned_on_without_a_card(owner_client, tenant, starter):
    owner_client.post(
        "/billing/auto-recharge/",
        {
            "auto_recharge": "on",
            "recharge_below": "100",
            "recharge_pack": starter.pk,
            "recharges_per_day": "2",
        },
    )
    assert not PaymentProfile.objects.get(tenant=tenant).auto_recharge
    assert "Save a card first" in owner_client.get("/billing/").content.decode()


def test_only_owners_manage_the_card_and_recharge(client, bob, tenant):
    client.force_login(bob)
    assert client.post("/billing/card/").status_code == 403
    assert client.post("/billing/auto-recharge/", {"auto_recharge": "on"}).status_code == 403


def test_below_the_threshold_the_pack_is_bought_and_credited_by_webhook(recharging, tenant, books_agree):
    assert recharge.recharge_if_due(recharging.pk) == "charged"
    payment = Payment.objects.get(tenant=tenant, kind="auto_recharge")
    assert payment.status == "paid" and payment.payment_intent_id.startswith("pi_")
    entry = LedgerEntry.objects.for_tenant(tenant).get(kind="purchase")
    assert (entry.amount, entry.reference) == (500, payment.payment_intent_id)
    # Above the threshold now: nothing more.
    assert recharge.recharge_if_due(recharging.pk) == "not due"
    books_agree(tenant)


def test_at_most_n_recharges_a_day(recharging, tenant):
    for _ in range(2):
        assert recharge.recharge_if_due(recharging.pk) == "charged"
        holds.capture(make_generation(tenant, hold=balance(tenant).available - 10))
    assert recharge.recharge_if_due(recharging.pk) == "daily limit"
    assert recharge.run_due() == "1 teams checked, 0 recharges started"
    with time_machine.travel(timezone.now() + timezone.timedelta(days=1)):
        assert recharge.recharge_if_due(recharging.pk) == "charged"


def test_a_declined_card_turns_recharge_off_and_emails_the_owners(
    owner_client, tenant, starter, mailoutbox, django_capture_on_commit_callbacks
):
    save_card(owner_client, card="0341")
    owner_client.post(
        "/billing/auto-recharge/",
        {
            "auto_recharge": "on",
            "recharge_below": "100",
            "recharge_pack": starter.pk,
            "recharges_per_day": "3",
        },
    )
    profile = PaymentProfile.objects.get(tenant=tenant)
    with django_capture_on_commit_callbacks(execute=True):
        assert recharge.recharge_if_due(profile.pk) == "declined"
    payment = Payment.objects.get(tenant=tenant, kind="auto_recharge")
    assert payment.status == "failed" and "declined" in payment.failure_message
    profile.refresh_from_db()
    assert not profile.auto_recharge and "declined" in profile.disabled_reason
    assert balance(tenant).balance == 0
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["alice@example.org"]
    assert "Automatic recharge turned off" in mailoutbox[0].subject
    assert recharge.recharge_if_due(profile.pk) == "off"
    assert "declined" in owner_client.get("/billing/").content.decode()
