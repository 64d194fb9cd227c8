"""Races on PostgreSQL row locks: many threads, one account. SQLite serialises every write
transaction, so these only prove something on PostgreSQL."""

import threading

import pytest
from django.db import connection, transaction

from billing.errors import AlreadySettled, InsufficientCredits, KeySpendLimit
from billing.models import LedgerEntry
from billing.services import balance
from generations.holds import capture, hold, release
from generations.models import Generation
from seedance_site.errors import DomainError
from tests import races
from tests.conftest import postgres_only
from tests.factories import fund, make_api_key, make_generation, new_generation

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]


def race(calls):
    """Run each zero-argument call in its own thread, all released at once; return the outcomes
    (the call's return value, or the DomainError class it raised), in call order."""

    def outcome(call):
        try:
            with transaction.atomic():  # as the create view and apply_update call them
                return call()
        except DomainError as exc:
            return type(exc)

    outcomes, errors = races.race(*[lambda call=call: outcome(call) for call in calls])
    assert errors == []
    return outcomes


class BalanceWatcher(threading.Thread):
    """Reads the account over and over while a race runs and remembers the lowest values seen."""

    def __init__(self, tenant):
        super().__init__()
        self.tenant, self.lowest_available, self.lowest_balance = tenant, None, None
        self.done = threading.Event()

    def run(self):
        try:
            while not self.done.is_set():
                now = balance(self.tenant)
                self.lowest_available = min(now.available, self.lowest_available or now.available)
                self.lowest_balance = min(now.balance, self.lowest_balance or now.balance)
        finally:
            connection.close()


def test_40_racing_holds_with_credits_for_10_let_exactly_10_through(tenant, books_agree):
    fund(tenant, 100)
    gens = [new_generation(tenant) for _ in range(40)]
    watcher = BalanceWatcher(tenant)
    watcher.start()
    outcomes = race([lambda g=g: hold(g, 10) for g in gens])
    watcher.done.set()
    watcher.join()

    assert outcomes.count(None) == 10
    assert outcomes.count(InsufficientCredits) == 30
    assert balance(tenant).as_dict() == {"balance": 100, "held": 100, "available": 0}
    assert Generation.objects.filter(tenant=tenant, held=10, hold_state="held").count() == 10
    assert Generation.objects.count() == 10  # a refused hold inserts nothing
    assert watcher.lowest_available >= 0 and watcher.lowest_balance >= 0
    books_agree(tenant)


def test_racing_capture_and_release_settle_each_generation_once(tenant, books_agree):
    fund(tenant, 100)
    gens = [make_generation(tenant, hold=10) for _ in range(10)]

    # For every generation two callbacks say "succeeded" and two polls say "failed", at once.
    calls = []
    for gen in gens:
        calls += [lambda g=gen: capture(g, 6), lambda g=gen: capture(g, 6)]
        calls += [lambda g=gen: release(g), lambda g=gen: release(g)]
    outcomes = race(calls)

    for n in range(len(gens)):
        per_gen = outcomes[4 * n : 4 * n + 4]
        assert per_gen.count(True) == 1, per_gen
        assert set(per_gen) <= {True, False, AlreadySettled}
    captured = Generation.objects.filter(hold_state="captured").count()
    assert Generation.objects.filter(hold_state="released").count() == 10 - captured
    assert LedgerEntry.objects.filter(kind="charge").count() == captured
    assert balance(tenant).as_dict() == {
        "balance": 100 - 6 * captured,
        "held": 0,
        "available": 100 - 6 * captured,
    }
    books_agree(tenant)


def test_racing_captures_of_one_generation_charge_it_once(tenant, books_agree):
    fund(tenant, 100)
    gen = make_generation(tenant, hold=32)
    outcomes = race([lambda: capture(gen)] * 8)
    assert outcomes.count(True) == 1 and outcomes.count(False) == 7
    assert balance(tenant).balance == 68
    books_agree(tenant)


def test_racing_holds_on_a_capped_key_stop_at_the_cap(tenant, books_agree):
    fund(tenant, 1000)
    key, _ = make_api_key(tenant, monthly_credit_limit=50)
    gens = [new_generation(tenant, created_by_key=key) for _ in range(20)]
    outcomes = race([lambda g=g: hold(g, 10) for g in gens])
    assert outcomes.count(None) == 5
    assert outcomes.count(KeySpendLimit) == 15
    assert balance(tenant).held == 50
    books_agree(tenant)
