"""Property test: any sequence of money operations keeps the books exact.

A tiny reference model (plain Python integers) predicts every outcome; after each step the
database must agree with it, and generations.holds.reconcile() must find nothing wrong.
"""

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing import services
from billing.errors import AlreadySettled, InsufficientCredits, InvalidAmount
from generations import holds
from tests.factories import make_tenant, new_generation

index = st.integers(min_value=0, max_value=30)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("grant"), st.integers(min_value=1, max_value=100)),
        st.tuples(st.just("adjust"), st.integers(min_value=-100, max_value=100).filter(bool)),
        st.tuples(st.just("hold"), st.integers(min_value=0, max_value=80)),
        st.tuples(st.just("capture"), index, st.none() | st.integers(min_value=0, max_value=100)),
        st.tuples(st.just("release"), index),
        st.tuples(st.just("refund"), index),
    ),
    max_size=25,
)


class Books:
    """What the balance, the held credits and each generation's hold should be."""

    def __init__(self):
        self.balance = self.held = 0
        self.holds = {}  # generation id -> [amount, state, charged, refunded]


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_any_sequence_of_operations_keeps_the_ledger_equal_to_the_balance(alice, ops):
    tenant = make_tenant("Property")  # a fresh tenant per example: no state leaks between them
    books, generations = Books(), []
    for op in ops:
        apply(op, tenant, books, generations, alice)
        now = services.balance(tenant)
        assert (now.balance, now.held) == (books.balance, books.held), op
        assert 0 <= now.held <= now.balance
        assert holds.reconcile(tenant) == []


def apply(op, tenant, books, generations, actor):
    kind = op[0]
    if kind == "grant":
        services.grant(tenant, op[1], actor=actor)
        books.balance += op[1]
    elif kind == "adjust":
        if books.balance + op[1] < books.held:
            with pytest.raises(InvalidAmount):
                services.adjust(tenant, op[1], actor, "property test")
        else:
            services.adjust(tenant, op[1], actor, "property test")
            books.balance += op[1]
    elif kind == "hold":
        # The hold inserts it; a refused one never is, so settling it later finds nothing.
        gen = new_generation(tenant)
        generations.append(gen)
        if books.balance - books.held < op[1]:
            with pytest.raises(InsufficientCredits), transaction.atomic():
                holds.hold(gen, op[1])
        else:
            holds.hold(gen, op[1])
            books.held += op[1]
            books.holds[gen.pk] = [op[1], "held", 0, False]
    elif generations:
        gen = generations[op[1] % len(generations)]
        settle(kind, gen, op[2] if kind == "capture" else None, books)


def settle(kind, gen, actual, books):
    entry = books.holds.get(gen.pk)
    if kind == "refund":
        expect = entry is not None and entry[1] == "captured" and entry[2] > 0 and not entry[3]
        assert holds.refund(gen) is expect
        if expect:
            books.balance += entry[2]
            entry[3] = True
        return
    target = "captured" if kind == "capture" else "released"
    settle_fn = holds.capture if kind == "capture" else holds.release
    args = (actual,) if kind == "capture" else ()
    if entry is None or entry[1] == target:
        assert settle_fn(gen, *args) is False
    elif entry[1] != "held":
        with pytest.raises(AlreadySettled):
            settle_fn(gen, *args)
    else:
        assert settle_fn(gen, *args) is True
        amount = entry[0]
        charged = (amount if actual is None else min(actual, amount)) if kind == "capture" else 0
        books.held -= amount
        books.balance -= charged
        entry[1], entry[2] = target, charged
