"""Two staff (or one double click) at the same moment: the work happens once, the audit row once.

These need PostgreSQL: SQLite serialises every writer, so there is no race to lose.
"""

from __future__ import annotations

import pytest

from accounts.models import AuditEvent
from billing import credit_changes
from billing import services as billing
from billing.models import LedgerEntry, PriceRule
from generations import holds, staff_actions
from generations.models import Status
from tests.conftest import postgres_only
from tests.factories import make_user
from tests.generations.conftest import created
from tests.moderation.conftest import reload
from tests.races import race


def _twice_at_once(work):
    results, errors = race(work, work)
    assert errors == []
    return results


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_one_credit_form_submitted_twice_at_once_grants_once(tenant):
    sam = make_user("sam@example.org", is_staff=True)

    outcomes = _twice_at_once(
        lambda: credit_changes.change_credits(tenant, sam, "grant", 100, "Promo", request_key="form-1:1")
    )

    assert sorted(outcome is None for outcome in outcomes) == [False, True]
    assert billing.balance(tenant).balance == 100
    assert LedgerEntry.objects.filter(tenant=tenant).count() == 1
    assert AuditEvent.objects.filter(action="credits.grant").count() == 1
    assert holds.reconcile(tenant) == []


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_staff_cancelling_one_job_at_once_release_and_audit_once(
    create, fake_providers, run_queued, funded
):
    sam = make_user("sam@example.org", is_staff=True)
    # transaction=True empties the tables after each test, so the seeded price table is gone.
    PriceRule.objects.get_or_create(
        resolution="720p",
        provider="",
        model="seedance-1.5-pro",
        service_tier="default",
        defaults={"millicredits_per_second": 4000},
    )
    generation = create()
    fake_providers.script(created("task-1"))
    run_queued()

    outcomes = _twice_at_once(lambda: staff_actions.cancel_and_refund(generation, sam))

    assert sorted(outcome.changed for outcome in outcomes) == [False, True]
    assert reload(generation).status == Status.CANCELLED
    assert billing.balance(funded).as_dict() == {"balance": 1000, "held": 0, "available": 1000}
    assert AuditEvent.objects.filter(action="generation.cancel").count() == 1
