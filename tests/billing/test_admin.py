import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from billing.models import LedgerEntry, PriceRule
from billing.services import balance
from tests.factories import fund, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(make_user("staff@example.org", is_staff=True, is_superuser=True))
    return client


def credits_action(tenants, **form):
    """The tenant list's "Grant or adjust credits" action (accounts.admin), as its form posts it."""
    return {
        "action": "change_credits",
        ACTION_CHECKBOX_NAME: [t.pk for t in tenants],
        "kind": "grant",
        "request_key": "form-1",
        "apply": "Apply",
        **form,
    }


def test_staff_grant_credits_to_selected_tenants_from_the_tenant_list(staff_client, tenant, other_tenant):
    url = reverse("admin:accounts_tenant_changelist")
    r = staff_client.post(url, credits_action([tenant, other_tenant], amount="100", note="Beta"))
    assert r.status_code == 302
    assert balance(tenant).balance == 100 and balance(other_tenant).balance == 100
    entry = LedgerEntry.objects.for_tenant(tenant).get()
    assert (entry.kind, entry.actor.email, entry.note) == ("grant", "staff@example.org", "Beta")


@pytest.mark.parametrize("form", [{"amount": "0", "note": "x"}, {"amount": "10", "note": ""}])
def test_a_grant_without_a_positive_amount_and_a_note_writes_nothing(staff_client, tenant, form):
    staff_client.post(reverse("admin:accounts_tenant_changelist"), credits_action([tenant], **form))
    assert not LedgerEntry.objects.exists()


def test_the_ledger_is_read_only_in_admin(staff_client, tenant):
    entry = fund(tenant, 100)
    assert (
        staff_client.get(reverse("admin:billing_ledgerentry_changelist") + "?kind=grant").status_code == 200
    )
    assert staff_client.get(reverse("admin:billing_ledgerentry_add")).status_code == 403
    r = staff_client.post(reverse("admin:billing_ledgerentry_change", args=[entry.pk]), {"amount": "999"})
    assert r.status_code == 403
    assert LedgerEntry.objects.get(pk=entry.pk).amount == 100


def test_price_rules_are_editable_in_admin(staff_client):
    rule = PriceRule.objects.get(
        provider="", resolution="720p", model="seedance-1.5-pro", service_tier="default"
    )
    r = staff_client.post(
        reverse("admin:billing_pricerule_change", args=[rule.pk]),
        {
            "provider": "",
            "model": "seedance-1.5-pro",
            "service_tier": "default",
            "resolution": "720p",
            "millicredits_per_second": "5000",
            "audio_factor": "3",
            "active": "on",
        },
    )
    assert r.status_code == 302
    rule.refresh_from_db()
    assert (rule.millicredits_per_second, rule.audio_factor) == (5000, 3)
