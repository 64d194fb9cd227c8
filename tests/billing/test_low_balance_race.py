"""Racing jobs that take a team below its low-balance threshold together send one email
(PostgreSQL: SQLite serialises every write, so the race only proves something there)."""

import pytest
from django.core import mail

from billing import low_balance
from tests import races
from tests.conftest import postgres_only
from tests.factories import fund, make_generation

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]


def test_racing_holds_across_the_threshold_send_one_email(tenant, monkeypatch):
    monkeypatch.setattr("django_q.conf.Conf.SYNC", True)  # the email task runs at once
    fund(tenant, 1000)
    low_balance.set_threshold(tenant, 900)
    # Eight holds of 50 racing: each commits, then checks; all see the team below 900.
    _, errors = races.race(*[lambda: make_generation(tenant, hold=50) for _ in range(8)])
    assert errors == []
    assert len([m for m in mail.outbox if "low on credits" in m.subject]) == 1
