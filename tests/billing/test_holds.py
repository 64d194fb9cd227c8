import pytest
import time_machine
from django.db import transaction

from billing.errors import AlreadyHeld, AlreadySettled, InsufficientCredits, KeySpendLimit
from billing.models import CreditAccount, LedgerEntry
from billing.services import balance
from generations.holds import capture, hold, release
from generations.models import Generation
from tests.factories import fund, make_api_key, make_generation, new_generation

pytestmark = pytest.mark.django_db

# A refused hold rolls back the transaction it runs in (the create's), so the tests that expect a
# refusal give it one of its own with transaction.atomic(), as create_generation does.


def test_a_hold_reserves_credits_without_touching_the_balance(tenant, books_agree):
    fund(tenant, 100)
    gen = new_generation(tenant)
    hold(gen, 32)
    assert balance(tenant).as_dict() == {"balance": 100, "held": 32, "available": 68}
    gen.refresh_from_db()
    assert (gen.held, gen.quoted, gen.hold_state) == (32, 32, "held")
    assert LedgerEntry.objects.for_tenant(tenant).count() == 1  # only the grant
    books_agree(tenant)


def test_hold_keeps_a_quote_the_caller_already_set(tenant):
    fund(tenant, 100)
    gen = new_generation(tenant, quoted=40)
    hold(gen, 32)
    gen.refresh_from_db()
    assert (gen.held, gen.quoted) == (32, 40)


def test_insufficient_credits_names_both_amounts_and_writes_nothing(tenant, books_agree):
    fund(tenant, 30)
    gen = new_generation(tenant)
    with pytest.raises(InsufficientCredits) as exc, transaction.atomic():
        hold(gen, 32)
    assert exc.value.http_status == 402
    assert exc.value.details == {"required": 32, "available": 30}
    assert "32" in exc.value.message and "30" in exc.value.message
    assert balance(tenant).held == 0
    assert not Generation.objects.exists()
    books_agree(tenant)


def test_a_tenant_that_never_had_credits_is_refused_without_creating_an_account(tenant):
    with pytest.raises(InsufficientCredits) as exc, transaction.atomic():
        hold(new_generation(tenant), 1)
    assert exc.value.details == {"required": 1, "available": 0}
    assert not CreditAccount.objects.filter(tenant=tenant).exists()


def test_credits_held_by_other_jobs_are_not_available(tenant):
    fund(tenant, 50)
    hold(new_generation(tenant), 32)
    with pytest.raises(InsufficientCredits) as exc, transaction.atomic():
        hold(new_generation(tenant), 32)
    assert exc.value.details["available"] == 18


def test_one_tenants_credits_do_not_pay_for_another(tenant, other_tenant):
    fund(tenant, 100)
    with pytest.raises(InsufficientCredits), transaction.atomic():
        hold(new_generation(other_tenant), 10)


def test_a_generation_cannot_be_held_twice(tenant, books_agree):
    fund(tenant, 100)
    gen = new_generation(tenant)
    hold(gen, 10)
    with pytest.raises(AlreadyHeld), transaction.atomic():
        hold(gen, 10)
    assert balance(tenant).held == 10
    books_agree(tenant)


def test_capture_turns_the_hold_into_one_charge(tenant, books_agree):
    fund(tenant, 100)
    gen = new_generation(tenant)
    hold(gen, 32)
    assert capture(gen) is True
    assert balance(tenant).as_dict() == {"balance": 68, "held": 0, "available": 68}
    charge = LedgerEntry.objects.get(kind="charge")
    assert (charge.amount, charge.balance_after, charge.generation_id) == (-32, 68, gen.pk)
    gen.refresh_from_db()
    assert (gen.held, gen.charged, gen.hold_state) == (0, 32, "captured")
    books_agree(tenant)


def test_capture_charges_the_actual_price_and_releases_the_rest(tenant, books_agree):
    fund(tenant, 100)
    gen = new_generation(tenant)
    hold(gen, 48)  # auto duration: held for 12 s
    capture(gen, actual_amount=20)  # the provider chose 5 s
    assert balance(tenant).as_dict() == {"balance": 80, "held": 0, "available": 80}
    gen.refresh_from_db()
    assert gen.charged == 20
    books_agree(tenant)


def test_capture_never_charges_more_than_was_held(tenant):
    fund(tenant, 100)
    gen = new_generation(tenant)
    hold(gen, 32)
    capture(gen, actual_amount=500)
    assert balance(tenant).balance == 68


def test_a_second_capture_is_a_no_op(tenant, books_agree):
    fund(tenant, 100)
    gen = new_generation(tenant)
    hold(gen, 32)
    capture(gen)
    assert capture(Generation.objects.get(pk=gen.pk)) is False
    assert balance(tenant).balance == 68
    assert LedgerEntry.objects.filter(kind="charge").count() == 1
    books_agree(tenant)


def test_release_gives_the_hold_back_without_a_ledger_entry(tenant, books_agree):
    fund(tenant, 100)
    gen = new_generation(tenant)
    hold(gen, 32)
    assert release(gen) is True
    assert release(gen) is False
    assert balance(tenant).as_dict() == {"balance": 100, "held": 0, "available": 100}
    assert LedgerEntry.objects.for_tenant(tenant).count() == 1
    gen.refresh_from_db()
    assert (gen.held, gen.charged, gen.hold_state) == (0, 0, "released")
    books_agree(tenant)


def test_capture_after_release_is_refused(tenant, books_agree):
    fund(tenant, 100)
    gen = new_generation(tenant)
    hold(gen, 32)
    release(gen)
    with pytest.raises(AlreadySettled) as exc:
        capture(gen)
    assert exc.value.details["state"] == "released"
    assert balance(tenant).balance == 100
    books_agree(tenant)


def test_release_after_capture_is_refused(tenant, books_agree):
    fund(tenant, 100)
    gen = new_generation(tenant)
    hold(gen, 32)
    capture(gen)
    with pytest.raises(AlreadySettled):
        release(gen)
    assert balance(tenant).as_dict() == {"balance": 68, "held": 0, "available": 68}
    books_agree(tenant)


def test_settling_a_generation_that_was_never_held_does_nothing(tenant):
    fund(tenant, 100)
    gen = make_generation(tenant)
    assert capture(gen) is False
    assert release(gen) is False
    assert balance(tenant).balance == 100


# --- Per-key monthly cap ---------------------------------------------------------------------


def test_a_key_cannot_hold_past_its_monthly_cap(tenant, books_agree):
    fund(tenant, 1000)
    key, _ = make_api_key(tenant, monthly_credit_limit=50)
    hold(new_generation(tenant, created_by_key=key), 32)
    with pytest.raises(KeySpendLimit) as exc, transaction.atomic():
        hold(new_generation(tenant, created_by_key=key), 32)
    assert exc.value.code == "key_spend_limit"
    assert exc.value.details == {"limit": 50, "spent": 32, "required": 32}
    assert balance(tenant).held == 32
    assert Generation.objects.count() == 1
    books_agree(tenant)


def test_charged_credits_count_against_the_cap_and_released_ones_do_not(tenant):
    fund(tenant, 1000)
    key, _ = make_api_key(tenant, monthly_credit_limit=60)
    charged = make_generation(tenant, hold=30, created_by_key=key)
    capture(charged, actual_amount=25)
    release(make_generation(tenant, hold=30, created_by_key=key))
    hold(new_generation(tenant, created_by_key=key), 35)  # 25 + 35 = 60: exactly the cap
    with pytest.raises(KeySpendLimit), transaction.atomic():
        hold(new_generation(tenant, created_by_key=key), 1)


def test_the_cap_starts_afresh_each_month(tenant):
    fund(tenant, 1000)
    key, _ = make_api_key(tenant, monthly_credit_limit=40)
    with time_machine.travel("2026-03-31 23:00Z", tick=False):
        capture_gen = new_generation(tenant, created_by_key=key)
        hold(capture_gen, 40)
        capture(capture_gen)
    with time_machine.travel("2026-04-01 00:30Z", tick=False):
        hold(new_generation(tenant, created_by_key=key), 40)


def test_other_keys_and_uncapped_keys_are_not_limited(tenant):
    fund(tenant, 1000)
    capped, _ = make_api_key(tenant, "capped", monthly_credit_limit=10)
    free, _ = make_api_key(tenant, "free")
    hold(new_generation(tenant, created_by_key=capped), 10)
    hold(new_generation(tenant, created_by_key=free), 500)
    hold(new_generation(tenant), 100)  # the portal: no key
    assert balance(tenant).held == 610
