"""Money going back: Stripe refunds and disputes take credits back in proportion, once, and
never below what running generations hold; whatever could not be taken is on the payment."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client

from accounts.models import AuditEvent
from billing.models import LedgerEntry
from billing.payments.models import Payment, PaymentProfile
from billing.services import balance
from generations import holds
from tests.factories import make_generation, make_user
from tests.payments.conftest import deliver, event

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(settings, tenant, starter):
    """A credited 500-credit payment of 5.00 USD (charge ch_1), through the webhook."""
    payment = Payment.objects.create(
        tenant=tenant, pack=starter, credits=500, currency="usd", amount=500, checkout_session_id="cs_test_p"
    )
    pay(settings)
    charge = {
        "id": "ch_1",
        "object": "charge",
        "payment_intent": "pi_p",
        "receipt_url": "https://pay.stripe.com/r/1",
    }
    deliver(Client(), event("charge.succeeded", charge, "evt_charge"), settings.STRIPE_WEBHOOK_SECRET)
    payment.refresh_from_db()
    assert payment.status == "paid" and payment.charge_id == "ch_1"
    return payment


def pay(settings):
    session = {
        "id": "cs_test_p",
        "object": "checkout.session",
        "mode": "payment",
        "payment_status": "paid",
        "payment_intent": "pi_p",
    }
    deliver(
        Client(), event("checkout.session.completed", session, "evt_paid"), settings.STRIPE_WEBHOOK_SECRET
    )


def refunded(settings, amount_refunded, event_id):
    charge = {
        "id": "ch_1",
        "object": "charge",
        "payment_intent": "pi_p",
        "amount": 500,
        "amount_refunded": amount_refunded,
        "refunded": amount_refunded == 500,
    }
    return deliver(Client(), event("charge.refunded", charge, event_id), settings.STRIPE_WEBHOOK_SECRET)


def test_a_full_refund_takes_all_the_credits_back(settings, paid, tenant, books_agree):
    assert refunded(settings, 500, "evt_r1").status_code == 200
    paid.refresh_from_db()
    assert paid.status == "refunded" and paid.credits_reversed == 500 and paid.credits_unrecovered == 0
    entry = LedgerEntry.objects.for_tenant(tenant).filter(kind="payment_refund").get()
    assert (entry.amount, entry.reference) == (-500, "ch_1")
    assert balance(tenant).balance == 0
    books_agree(tenant)


def test_partial_refunds_take_back_in_proportion_and_repeats_take_nothing(
    settings, paid, tenant, books_agree
):
    refunded(settings, 100, "evt_r1")  # 1.00 of 5.00: 100 credits
    refunded(settings, 100, "evt_r1b")  # the same total again (another event): nothing more
    refunded(settings, 300, "evt_r2")  # now 3.00 in all: 200 more
    refunded(settings, 100, "evt_late")  # an older total arriving late: nothing
    paid.refresh_from_db()
    assert paid.status == "partially_refunded" and paid.refunded_amount == 300
    assert list(
        LedgerEntry.objects.for_tenant(tenant).filter(kind="payment_refund").values_list("amount", flat=True)
    ) == [-200, -100]
    assert balance(tenant).balance == 200
    books_agree(tenant)


def test_a_refund_after_the_credits_were_spent_takes_only_what_is_available(
    settings, paid, tenant, books_agree
):
    """The documented rule: the balance never drops below what running generations hold; what
    could not be taken back stays on the payment as credits_unrecovered."""
    spent = make_generation(tenant, hold=300)
    holds.capture(spent)  # 300 spent on a video
    make_generation(tenant, hold=150)  # 150 held by a running one
    assert balance(tenant).available == 50
    refunded(settings, 500, "evt_r1")
    paid.refresh_from_db()
    assert (paid.credits_reversed, paid.credits_unrecovered) == (50, 450)
    after = balance(tenant)
    assert (after.balance, after.held, after.available) == (150, 150, 0)
    books_agree(tenant)
    # A later event for the same refund neither takes more nor counts the shortfall twice.
    refunded(settings, 500, "evt_r2")
    paid.refresh_from_db()
    assert (paid.credits_reversed, paid.credits_unrecovered) == (50, 450)
    books_agree(tenant)


def test_a_dispute_takes_the_credits_back_once_and_turns_off_automatic_recharge(
    settings, paid, tenant, books_agree
):
    PaymentProfile.objects.create(tenant=tenant, auto_recharge=True, payment_method_id="pm_1")
    dispute = {
        "id": "du_1",
        "object": "dispute",
        "amount": 500,
        "charge": "ch_1",
        "payment_intent": "pi_p",
        "currency": "usd",
        "reason": "fraudulent",
        "status": "needs_response",
    }
    for event_id in ("evt_d1", "evt_d2"):
        r = deliver(
            Client(), event("charge.dispute.created", dispute, event_id), settings.STRIPE_WEBHOOK_SECRET
        )
        assert r.status_code == 200
    paid.refresh_from_db()
    assert paid.status == "disputed" and paid.credits_reversed == 500
    entry = LedgerEntry.objects.for_tenant(tenant).filter(kind="dispute").get()
    assert (entry.amount, entry.reference) == (-500, "du_1")
    profile = PaymentProfile.objects.get(tenant=tenant)
    assert not profile.auto_recharge and "disputed" in profile.disabled_reason
    books_agree(tenant)


def test_a_refund_that_arrives_before_the_payment_event_is_applied_when_it_credits(
    settings, tenant, starter, books_agree
):
    Payment.objects.create(
        tenant=tenant,
        credits=500,
        currency="usd",
        amount=500,
        checkout_session_id="cs_test_p",
        payment_intent_id="pi_p",
    )
    refunded(settings, 500, "evt_r1")
    assert balance(tenant).balance == 0
    pay(settings)
    assert balance(tenant).balance == 0
    assert Payment.objects.get().status == "refunded"
    assert sorted(LedgerEntry.objects.for_tenant(tenant).values_list("kind", "amount")) == [
        ("payment_refund", -500),
        ("purchase", 500),
    ]
    books_agree(tenant)


@pytest.fixture
def staff(db):
    client = Client()
    client.force_login(make_user("staff@example.org", is_staff=True, is_superuser=True))
    return client


def test_staff_refund_from_the_admin_through_stripe_and_the_webhook_takes_the_credits(
    payment_sandbox, owner_client, staff, tenant, starter, books_agree
):
    r = owner_client.post("/billing/buy/", {"pack": starter.pk})
    owner_client.post("/" + r["Location"].split("://", 1)[1].split("/", 1)[1])
    payment = Payment.objects.get(tenant=tenant)
    assert balance(tenant).balance == 500

    form = {"action": "refund_through_stripe", ACTION_CHECKBOX_NAME: [payment.pk]}
    r = staff.post("/admin/billing/payment/", form, follow=True)
    assert "asked of Stripe" in r.content.decode()
    payment.refresh_from_db()
    assert payment.status == "refunded" and payment.refunded_amount == 500
    assert balance(tenant).balance == 0
    audit = AuditEvent.objects.get(action="payment.refund")
    assert audit.tenant == tenant and audit.actor.email == "staff@example.org"
    books_agree(tenant)

    # A second refund of the same payment is refused with a message; nothing moves.
    r = staff.post("/admin/billing/payment/", form, follow=True)
    assert "refunded in full already" in r.content.decode()
    assert AuditEvent.objects.filter(action="payment.refund").count() == 1


def test_staff_see_payments_per_team_in_the_admin(staff, paid, tenant, other_tenant):
    Payment.objects.create(tenant=other_tenant, credits=7, currency="usd", amount=7)
    page = staff.get(f"/admin/billing/payment/?tenant__id__exact={tenant.pk}").content.decode()
    assert "cs_test_p" in page and "0.07 USD" not in page


def test_reconcile_credits_names_a_paid_payment_without_its_purchase_entry(paid, tenant, capsys):
    from django.core.management import CommandError, call_command

    call_command("reconcile_credits")
    Payment.objects.create(
        tenant=tenant,
        credits=9,
        currency="usd",
        amount=9,
        checkout_session_id="cs_test_lost",
        status="paid",
        paid_at=paid.paid_at,
    )
    with pytest.raises(CommandError):
        call_command("reconcile_credits")
    assert "(cs_test_lost) is paid but its purchase entry is None" in capsys.readouterr().out


def test_staff_edit_packs_in_the_admin_audited_and_cannot_delete_them(staff, starter):
    r = staff.post(
        f"/admin/billing/creditpack/{starter.pk}/change/",
        {
            "name": "Starter",
            "credits": "600",
            "currency": "usd",
            "price": "5.00",
            "active": "on",
            "position": "1",
        },
    )
    assert r.status_code == 302
    starter.refresh_from_db()
    assert starter.credits == 600
    change = AuditEvent.objects.get(action="credit_pack.change")
    assert change.before == {"credits": "500"} and change.after == {"credits": "600"}
    assert staff.post(f"/admin/billing/creditpack/{starter.pk}/delete/", {"post": "yes"}).status_code == 403
