import pytest
from django.core.management import CommandError, call_command

from billing.models import LedgerEntry
from billing.services import balance

pytestmark = pytest.mark.django_db


def test_it_grants_credits_with_a_note(tenant, capsys):
    call_command("grant_credits", tenant.slug, "250", "--note", "Conference promo")
    assert balance(tenant).balance == 250
    entry = LedgerEntry.objects.get()
    assert (entry.kind, entry.amount, entry.note) == ("grant", 250, "Conference promo")
    assert "balance is now 250" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("slug", "amount", "message"),
    [
        ("no-such-team", "10", "No tenant with slug 'no-such-team'"),
        (None, "0", "AMOUNT must be positive"),
        (None, "-5", "AMOUNT must be positive"),
        (None, "ten", "AMOUNT must be a whole number"),
        (None, "2.5", "AMOUNT must be a whole number"),
    ],
)
def test_bad_input_is_one_clear_error_and_writes_nothing(tenant, slug, amount, message):
    with pytest.raises(CommandError, match=message):
        call_command("grant_credits", slug or tenant.slug, amount)
    assert not LedgerEntry.objects.exists()
    assert balance(tenant).balance == 0
