"""The Usage page (/billing/usage/): a month's credits by API key, member, provider and resolution."""

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from billing.models import LedgerEntry
from generations import usage
from generations.holds import capture, refund
from tests.factories import fund, make_api_key, make_generation

NOW = datetime(2026, 5, 20, 12, tzinfo=UTC)


def charge(tenant, credits, **fields):
    generation = make_generation(tenant, hold=credits, **fields)
    capture(generation)
    return generation


def table(page: str, slug: str) -> dict[str, list[str]]:
    """{first cell text: [jobs, charged, refunded, net]} of one usage table."""
    body = re.search(rf'<table class="table" id="usage-{slug}">(.*?)</table>', page, re.DOTALL).group(1)
    rows = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.DOTALL):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)
        if cells:
            label = re.sub(r"<small.*?</small>", "", cells[0])  # the detail line is not the name
            rows[_text(label)] = [_text(c) for c in cells[1:]]
    return rows


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html).strip()


@pytest.fixture
def busy_month(tenant, other_tenant, alice, bob):
    """May 2026 for alice's team: two keys (made by alice and bob), portal jobs by both members,
    two providers, two resolutions, one refund; charlie's team has jobs of its own."""
    fund(tenant, 10_000)
    fund(other_tenant, 10_000)
    ci, _ = make_api_key(tenant, "CI pipeline", created_by=alice)
    batch, _ = make_api_key(tenant, "Batch renders", created_by=bob)
    with time_machine.travel(datetime(2026, 4, 28, tzinfo=UTC), tick=False):
        charge(tenant, 500, created_by_user=alice)  # April: not in May's numbers
    with time_machine.travel(NOW, tick=False):
        charge(tenant, 40, created_by_key=ci, provider="sandbox", resolution="720p")
        charge(tenant, 60, created_by_key=ci, provider="kie", resolution="1080p")
        refunded = charge(tenant, 100, created_by_key=batch, provider="kie", resolution="1080p")
        refund(refunded, note="bad result")
        charge(tenant, 30, created_by_user=alice, provider="sandbox", resolution="720p")
        charge(tenant, 20, created_by_user=bob, provider="sandbox", resolution="480p")
        make_generation(tenant, hold=50, created_by_user=bob)  # still running: held, not charged
        charge(other_tenant, 999, provider="sandbox", resolution="720p")
    return tenant


@time_machine.travel(NOW, tick=False)
def test_usage_by_key_member_provider_and_resolution(as_alice, busy_month):
    page = as_alice.get("/billing/usage/").content.decode()
    assert "May 2026" in page
    assert table(page, "key") == {
        "CI pipeline": ["2", "100", "0", "100"],
        "Batch renders": ["1", "100", "100", "0"],
        "No key": ["2", "50", "0", "50"],
        "Total": ["5", "250", "100", "150"],
    }
    # A key's jobs count for the member who created the key.
    assert table(page, "member") == {
        "alice@example.org": ["3", "130", "0", "130"],
        "bob@example.org": ["2", "120", "100", "20"],
        "Total": ["5", "250", "100", "150"],
    }
    assert table(page, "provider") == {
        "Kie": ["2", "160", "100", "60"],
        "Sandbox": ["3", "90", "0", "90"],
        "Total": ["5", "250", "100", "150"],
    }
    assert table(page, "resolution") == {
        "1080p": ["2", "160", "100", "60"],
        "720p": ["2", "70", "0", "70"],
        "480p": ["1", "20", "0", "20"],
        "Total": ["5", "250", "100", "150"],
    }
    assert 'id="usage-charged">250<' in page and 'id="usage-jobs">5<' in page


@time_machine.travel(NOW, tick=False)
def test_totals_are_the_ledgers(busy_month):
    may = usage.period_for("2026-05")
    ledger = LedgerEntry.objects.for_tenant(busy_month).filter(
        created_at__gte=may.start, created_at__lt=may.end
    )
    charged = -ledger.filter(kind="charge").aggregate(s=Sum("amount"))["s"]
    refunded = ledger.filter(kind="refund").aggregate(s=Sum("amount"))["s"]
    for breakdown in usage.breakdowns(busy_month, may):
        assert (breakdown.total.charged, breakdown.total.refunded) == (charged, refunded) == (250, 100)


@time_machine.travel(NOW, tick=False)
def test_a_previous_month_can_be_chosen(as_alice, busy_month):
    page = as_alice.get("/billing/usage/?month=2026-04").content.decode()
    assert '<option value="2026-04" selected>April 2026</option>' in page
    assert table(page, "member") == {
        "alice@example.org": ["1", "500", "0", "500"],
        "Total": ["1", "500", "0", "500"],
    }
    empty = as_alice.get("/billing/usage/?month=2026-01").content.decode()
    assert "Nothing charged in January 2026" in empty


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("month", ["2026-13", "May", "2024-05", "2026-06", "x" * 500])
def test_a_month_outside_the_list_is_a_400_naming_the_field(as_alice, busy_month, month):
    response = as_alice.get("/billing/usage/", {"month": month})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Month: choose one of the last 12 months, from June 2025 to May 2026." in page


@time_machine.travel(NOW, tick=False)
def test_another_team_sees_only_its_own_usage(as_charlie, busy_month):
    page = as_charlie.get("/billing/usage/").content.decode()
    assert table(page, "provider") == {"Sandbox": ["1", "999", "0", "999"], "Total": ["1", "999", "0", "999"]}
    assert "CI pipeline" not in page and "alice@example.org" not in page


@pytest.mark.parametrize("who", ["as_bob", "as_vera"])
def test_every_role_reads_usage(request, who, tenant):
    assert request.getfixturevalue(who).get("/billing/usage/").status_code == 200


def test_the_billing_page_links_to_usage(as_alice, tenant):
    assert 'href="/billing/usage/"' in as_alice.get("/billing/").content.decode()


@time_machine.travel(NOW, tick=False)
def test_one_query_per_breakdown_whatever_the_number_of_jobs(tenant):
    fund(tenant, 100_000)
    may = usage.period_for("2026-05")
    charge(tenant, 10)
    with CaptureQueriesContext(connection) as few:
        usage.breakdowns(tenant, may)
    key, _ = make_api_key(tenant, "more")
    for n in range(12):
        charge(tenant, 10, created_by_key=key if n % 2 else None, provider=("kie", "ark")[n % 2])
    with CaptureQueriesContext(connection) as many:
        result = usage.breakdowns(tenant, may)
    assert len(few) == len(many) == 4
    assert result[0].total.jobs == 13
