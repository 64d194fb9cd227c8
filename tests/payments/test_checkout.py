"""Buying credits through the local payment sandbox, the whole path in this process: the
portal starts a Checkout Session with the stripe library, "Pay" on the sandbox's checkout page
sends a signed webhook to our endpoint, and the return page shows the new balance."""

import csv
import io

import pytest
from django.test import Client

from accounts.models import AuditEvent, Role
from billing.models import LedgerEntry
from billing.payments.models import Payment, PaymentProfile
from billing.services import balance
from tests.factories import add_member, make_user

pytestmark = pytest.mark.django_db


def buy(client, **form):
    return client.post("/billing/buy/", form)


def pay(client, checkout_url):
    """Press Pay on the sandbox's checkout page; returns the redirect back to us."""
    path = checkout_url.split("://", 1)[1].split("/", 1)[1]
    return client.post(f"/{path}")


def test_an_owner_buys_a_pack_and_comes_back_to_the_new_balance(owner_client, tenant, starter):
    r = buy(owner_client, pack=starter.pk)
    assert r.status_code == 302 and "/sandbox/stripe/checkout/cs_test_" in r["Location"]
    payment = Payment.objects.for_tenant(tenant).get()
    assert payment.status == "pending" and payment.checkout_session_id.startswith("cs_test_")

    page = owner_client.get(r["Location"].split("testserver")[-1])
    assert "Pay 5.00 USD" in page.content.decode()
    back = pay(owner_client, r["Location"])
    assert back.status_code == 302
    assert back["Location"].endswith(
        f"/billing/payments/{payment.pk}/?session_id={payment.checkout_session_id}"
    )

    payment.refresh_from_db()
    assert payment.status == "paid" and payment.receipt_url.endswith(
        f"/sandbox/stripe/receipts/{payment.charge_id}/"
    )
    entry = LedgerEntry.objects.for_tenant(tenant).get()
    assert (entry.kind, entry.amount, entry.reference) == ("purchase", 500, payment.checkout_session_id)
    page = owner_client.get(back["Location"].split("testserver")[-1]).content.decode()
    assert "500 credits were added" in page and 'id="balance">500<' in page
    assert AuditEvent.objects.filter(action="payment.checkout", tenant=tenant).count() == 1


def test_an_amount_is_priced_at_the_smallest_pack_rate(owner_client, tenant):
    r = buy(owner_client, credits="1234")
    assert r.status_code == 302
    payment = Payment.objects.for_tenant(tenant).get()
    assert (payment.credits, payment.amount, payment.currency, payment.pack) == (1234, 1234, "usd", None)
    pay(owner_client, r["Location"])
    assert balance(tenant).balance == 1234


@pytest.mark.parametrize("form", [{"credits": "5"}, {"credits": "abc"}, {"credits": ""}, {"pack": "999"}])
def test_a_bad_amount_or_pack_starts_nothing_and_says_why(owner_client, tenant, form):
    r = buy(owner_client, **form)
    assert r.status_code == 302 and r["Location"] == "/billing/"
    assert not Payment.objects.exists()
    page = owner_client.get("/billing/").content.decode()
    assert ("Credits:" in page) or ("pack:" in page)


def test_the_return_page_waits_for_the_webhook_and_never_credits(owner_client, tenant, starter):
    buy(owner_client, pack=starter.pk)
    payment = Payment.objects.get()
    page = owner_client.get(f"/billing/payments/{payment.pk}/?session_id={payment.checkout_session_id}")
    assert (
        'data-status="pending"' in page.content.decode() and 'hx-trigger="every 2s"' in page.content.decode()
    )
    assert balance(tenant).balance == 0 and payment.status == "pending"


def test_leaving_the_checkout_says_nothing_was_charged(owner_client, tenant, starter):
    buy(owner_client, pack=starter.pk)
    payment = Payment.objects.get()
    page = owner_client.get(f"/billing/payments/{payment.pk}/?cancelled=1").content.decode()
    assert "Nothing was charged" in page and "every 2s" not in page


def test_another_teams_payment_is_a_404(owner_client, other_tenant, starter):
    theirs = Payment.objects.create(tenant=other_tenant, credits=500, currency="usd", amount=500)
    assert owner_client.get(f"/billing/payments/{theirs.pk}/").status_code == 404


def test_members_cannot_buy_and_admins_only_when_the_team_allows(tenant, bob, starter):
    member = Client()
    member.force_login(bob)
    assert buy(member, pack=starter.pk).status_code == 403
    admin_user = make_user("ada@example.org")
    add_member(tenant, admin_user, Role.ADMIN)
    admin = Client()
    admin.force_login(admin_user)
    assert buy(admin, pack=starter.pk).status_code == 403
    PaymentProfile.objects.filter(tenant=tenant).update(admins_may_buy=True)
    assert buy(admin, pack=starter.pk).status_code == 302
    assert Payment.objects.get().created_by == admin_user


def test_an_owner_lets_admins_buy_and_it_is_audited(owner_client, tenant):
    owner_client.post("/billing/buyers/", {"admins_may_buy": "on"})
    assert PaymentProfile.objects.get(tenant=tenant).admins_may_buy
    assert AuditEvent.objects.filter(action="payment.buyers", tenant=tenant).exists()


def test_purchases_are_in_the_api_ledger_and_the_csv_with_their_session_id(
    payment_sandbox, owner_client, api_client, tenant, starter
):
    r = buy(owner_client, pack=starter.pk)
    pay(owner_client, r["Location"])
    session = Payment.objects.get().checkout_session_id
    api = api_client.get("/api/v1/ledger").json()["results"][0]
    assert (api["kind"], api["amount"], api["reference"]) == ("purchase", 500, session)
    rows = list(
        csv.DictReader(
            io.StringIO(b"".join(owner_client.get("/billing/ledger.csv").streaming_content).decode())
        )
    )
    assert (rows[0]["kind"], rows[0]["reference"]) == ("purchase", session)


def test_the_billing_page_lists_payments_with_status_and_receipt(owner_client, tenant, starter):
    r = buy(owner_client, pack=starter.pk)
    pay(owner_client, r["Location"])
    buy(owner_client, pack=starter.pk)  # a second one left unpaid
    page = owner_client.get("/billing/").content.decode()
    assert page.count("badge-succeeded") >= 1 and "Pending" in page
    paid = Payment.objects.filter(status="paid").get()
    assert paid.receipt_url in page
    # The ledger names the Stripe id of the purchase.
    assert f'title="{paid.checkout_session_id}"' in page


def test_with_stripe_keys_set_nothing_of_the_sandbox_answers(
    settings, client, payment_sandbox, owner_client, starter
):
    r = buy(owner_client, pack=starter.pk)
    checkout_path = "/" + r["Location"].split("://", 1)[1].split("/", 1)[1]
    settings.PAYMENTS_SANDBOX = False
    settings.STRIPE_SECRET_KEY = "sk_live_x"
    assert client.get(checkout_path).status_code == 404
    assert client.post(checkout_path).status_code == 404
    auth = {"HTTP_AUTHORIZATION": "Bearer sk_test_sandbox"}
    assert client.post("/sandbox/stripe/v1/checkout/sessions", {"mode": "payment"}, **auth).status_code == 404
    assert Payment.objects.get().status == "pending"


def test_without_keys_or_sandbox_buying_is_off_and_says_so(settings, owner_client, tenant, starter):
    settings.PAYMENTS_SANDBOX = False
    settings.PAYMENTS_ENABLED = False
    assert "Buying credits is not available here" in owner_client.get("/billing/").content.decode()
    r = buy(owner_client, pack=starter.pk)
    assert r.status_code == 302 and not Payment.objects.filter(status="pending").exists()
