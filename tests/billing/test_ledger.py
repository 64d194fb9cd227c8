import datetime as dt

import pytest
import time_machine

from billing.errors import InvalidAmount
from billing.models import AppendOnly, LedgerEntry
from billing.services import adjust, balance, grant, ledger, usage_by_day
from generations.holds import capture, refund, release
from tests.factories import fund, make_generation

pytestmark = pytest.mark.django_db


def test_a_grant_adds_credits_and_records_who_and_why(tenant, alice, books_agree):
    entry = grant(tenant, 500, actor=alice, note="Welcome credits")
    assert balance(tenant).as_dict() == {"balance": 500, "held": 0, "available": 500}
    assert (entry.kind, entry.amount, entry.balance_after, entry.actor, entry.note) == (
        "grant",
        500,
        500,
        alice,
        "Welcome credits",
    )
    books_agree(tenant)


@pytest.mark.parametrize("amount", [0, -5, 2.5, "10", True])
def test_a_grant_must_be_a_positive_whole_number(tenant, amount):
    with pytest.raises(InvalidAmount) as exc:
        grant(tenant, amount)
    assert "amount" in exc.value.details
    assert not LedgerEntry.objects.exists()


def test_an_adjustment_may_take_credits_away(tenant, alice, books_agree):
    fund(tenant, 100)
    entry = adjust(tenant, -40, alice, "Duplicate grant")
    assert (entry.kind, entry.amount, entry.balance_after) == ("adjustment", -40, 60)
    books_agree(tenant)


def test_an_adjustment_needs_a_note(tenant, alice):
    fund(tenant, 100)
    with pytest.raises(InvalidAmount) as exc:
        adjust(tenant, -10, alice, "   ")
    assert "note" in exc.value.details
    assert balance(tenant).balance == 100


def test_an_adjustment_cannot_take_credits_that_running_jobs_hold(tenant, alice, books_agree):
    fund(tenant, 100)
    make_generation(tenant, hold=80)
    with pytest.raises(InvalidAmount) as exc:
        adjust(tenant, -30, alice, "Chargeback")
    assert "80" in exc.value.message
    assert balance(tenant).as_dict() == {"balance": 100, "held": 80, "available": 20}
    adjust(tenant, -20, alice, "Chargeback")
    assert balance(tenant).available == 0
    books_agree(tenant)


def test_a_refund_gives_back_the_charge_once(tenant, alice, books_agree):
    fund(tenant, 100)
    gen = make_generation(tenant, hold=32)
    capture(gen)
    assert refund(gen, actor=alice, note="Blurry result") is True
    assert refund(gen, actor=alice) is False
    assert balance(tenant).balance == 100
    assert LedgerEntry.objects.filter(kind="refund").count() == 1
    books_agree(tenant)


def test_a_released_generation_has_nothing_to_refund(tenant):
    fund(tenant, 100)
    gen = make_generation(tenant, hold=32)
    release(gen)
    assert refund(gen) is False
    assert balance(tenant).balance == 100


def test_ledger_entries_cannot_be_changed_or_deleted(tenant):
    entry = fund(tenant, 100)
    entry.amount = 1_000_000
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        entry.delete()
    with pytest.raises(AppendOnly):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=1_000_000)
    with pytest.raises(AppendOnly):
        LedgerEntry.objects.filter(pk=entry.pk).delete()
    assert LedgerEntry.objects.get(pk=entry.pk).amount == 100


def test_the_ledger_lists_only_the_tenants_entries_newest_first(tenant, other_tenant):
    first = fund(tenant, 100)
    second = fund(tenant, 50)
    fund(other_tenant, 7)
    assert list(ledger(tenant)) == [second, first]


def test_usage_by_day_sums_charges_per_utc_day_with_empty_days(tenant):
    fund(tenant, 1000)
    with time_machine.travel("2026-05-10 23:50Z", tick=False):
        for amount in (10, 5):
            gen = make_generation(tenant, hold=amount)
            capture(gen)
    with time_machine.travel("2026-05-12 00:10Z", tick=False):
        gen = make_generation(tenant, hold=7)
        capture(gen)
        released = make_generation(tenant, hold=99)
        release(released)
        usage = usage_by_day(tenant, days=3)
    assert usage == [(dt.date(2026, 5, 10), 15), (dt.date(2026, 5, 11), 0), (dt.date(2026, 5, 12), 7)]


def test_usage_by_day_leaves_out_older_days_and_other_tenants(tenant, other_tenant):
    fund(tenant, 100)
    fund(other_tenant, 100)
    with time_machine.travel("2026-05-01 12:00Z", tick=False):
        old = make_generation(tenant, hold=10)
        capture(old)
    with time_machine.travel("2026-05-31 12:00Z", tick=False):
        theirs = make_generation(other_tenant, hold=10)
        capture(theirs)
        usage = usage_by_day(tenant)
    assert len(usage) == 30
    assert usage[0][0] == dt.date(2026, 5, 2)
    assert sum(credits for _, credits in usage) == 0
