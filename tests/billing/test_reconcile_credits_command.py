import pytest
from django.core.management import CommandError, call_command

from billing.models import CreditAccount
from tests.factories import fund, make_generation

pytestmark = pytest.mark.django_db


def test_it_reports_books_that_agree(tenant, other_tenant, capsys):
    fund(tenant, 100)
    make_generation(tenant, hold=40)
    call_command("reconcile_credits")
    assert "agree" in capsys.readouterr().out


def test_it_names_the_tenant_whose_balance_drifted_from_its_ledger(tenant, other_tenant, capsys):
    fund(tenant, 100)
    fund(other_tenant, 100)
    CreditAccount.objects.filter(tenant=tenant).update(balance=90)  # a write that bypassed billing
    with pytest.raises(CommandError, match="disagreement"):
        call_command("reconcile_credits")
    out = capsys.readouterr().out
    assert f"{tenant.slug}: ledger sums to 100 but the balance is 90" in out
    assert other_tenant.slug not in out
