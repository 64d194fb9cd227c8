"""A new team buys its first credits through the local payment sandbox's checkout, in Chromium,
and spends them on its first video. Every Stripe call and webhook goes over HTTP to the live
server: the stripe library to /sandbox/stripe/v1/..., "Pay" to /billing/stripe/webhook/."""

import pytest
from django_q.conf import Conf

from billing.models import LedgerEntry
from billing.payments.models import Payment
from billing.services import balance
from generations import tasks
from generations.models import Generation
from tests.browser.checks import assert_accessible, assert_fits
from tests.browser.test_page_tour import shoot
from tests.browser.test_signup_and_keys import sign_up

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def studio(live_server, settings, tmp_path, monkeypatch):
    """The provider sandbox in-process (as in test_generate_in_sandbox) and the payment sandbox
    on the live server."""
    from generations.sandbox.testing import harness

    settings.SITE_URL = live_server.url
    settings.MEDIA_ROOT = tmp_path
    settings.PAYMENTS_SANDBOX = settings.PAYMENTS_ENABLED = True
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_API_BASE = f"{live_server.url}/sandbox/stripe"
    monkeypatch.setattr(Conf, "SYNC", True)
    with harness(settings) as h:
        yield h


def test_a_new_team_buys_a_pack_and_generates_its_first_video(tab, studio):
    sign_up(tab, "pia@example.org", "Pia Films")
    tab.get_by_role("link", name="Billing").first.click()
    tab.get_by_role("button", name="Buy Starter").click()

    # The sandbox's checkout page stands in for Stripe Checkout.
    tab.wait_for_url("**/sandbox/stripe/checkout/cs_test_*/")
    assert "Payment sandbox" in tab.content()
    assert_accessible(tab, "sandbox checkout")
    shoot(tab, "payment-sandbox-checkout")
    tab.get_by_role("button", name="Pay 5.00 USD").click()

    # Back on our page: the webhook has credited the payment.
    tab.wait_for_url("**/billing/payments/*/?session_id=cs_test_*")
    tab.wait_for_selector('#payment-status[data-status="paid"]')
    assert tab.locator("#balance").inner_text() == "500"
    assert_accessible(tab, "payment return page")
    shoot(tab, "payment-return")
    payment = Payment.objects.get(tenant__name="Pia Films")
    entry = LedgerEntry.objects.get(kind="purchase")
    assert entry.reference == payment.checkout_session_id and entry.amount == 500

    # The billing page lists the payment with its receipt.
    tab.get_by_role("link", name="Back to billing").click()
    row = tab.locator("#payments-table tbody tr").first
    assert "Paid" in row.inner_text()
    assert row.get_by_role("link", name="Receipt").get_attribute("href") == payment.receipt_url
    assert_accessible(tab, "billing with a payment")
    shoot(tab, "billing-with-a-payment")
    tab.set_viewport_size({"width": 390, "height": 800})
    assert_fits(tab, "billing on a phone")
    tab.set_viewport_size({"width": 1280, "height": 860})

    # First video: 8 s at 720p is 32 credits.
    tab.get_by_role("link", name="Dashboard").first.click()
    tab.get_by_role("link", name="New generation").first.click()
    tab.get_by_label("Prompt").fill("A paper boat sails across a puddle after the rain [first-video]")
    tab.get_by_label("Provider").select_option("sandbox")
    tab.get_by_label("Resolution").select_option("720p")
    tab.wait_for_selector('#quote [data-credits="32"]')
    tab.get_by_role("button", name="Generate video").click()
    tab.wait_for_url("**/generations/gen_*/")
    for _ in range(60):
        tasks.poll_due()
        studio.deliver_due_callbacks()
        if tab.locator('#live [data-status="succeeded"]').count():
            break
        tab.wait_for_timeout(250)
    assert tab.locator("#live .badge").inner_text() == "Succeeded"
    assert Generation.objects.get(tenant=payment.tenant).charged == 32
    assert balance(payment.tenant).balance == 468
