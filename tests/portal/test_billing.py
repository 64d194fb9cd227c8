import csv
import io
from datetime import UTC, datetime

import pytest
import time_machine

from billing.services import grant
from generations.holds import capture
from tests.factories import fund, make_generation


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def charge(tenant, credits, **fields):
    generation = make_generation(tenant, hold=credits, **fields)
    capture(generation)
    return generation


@pytest.mark.parametrize("who", ["as_alice", "as_bob", "as_vera"])
def test_every_role_reads_the_bill(request, who, tenant):
    fund(tenant, 500)
    page = request.getfixturevalue(who).get("/billing/").content.decode()
    assert 'id="balance">500<' in page and 'id="available">500<' in page


def test_billing_shows_balance_held_and_ledger(as_alice, tenant, alice):
    grant(tenant, 1000, actor=alice, note="Welcome credits")
    charge(tenant, 32)
    make_generation(tenant, hold=40)
    page = as_alice.get("/billing/").content.decode()
    assert 'id="balance">968<' in page
    assert 'id="held">40<' in page
    assert 'id="available">928<' in page
    assert "Welcome credits" in page and "+1,000" in page and "-32" in page


def test_billing_shows_only_the_current_teams_money(as_charlie, tenant, other_tenant):
    grant(tenant, 777, note="alice's grant")
    fund(other_tenant, 5)
    page = as_charlie.get("/billing/").content.decode()
    assert 'id="balance">5<' in page and "alice&#x27;s grant" not in page


@time_machine.travel(datetime(2026, 5, 20, 12, tzinfo=UTC), tick=False)
def test_usage_chart_has_a_bar_per_day_with_that_days_charges(as_alice, tenant):
    fund(tenant, 1000)
    charge(tenant, 32)
    charge(tenant, 8)
    page = as_alice.get("/billing/").content.decode()
    assert page.count('class="bar"') == 30
    assert 'data-day="2026-05-20" data-credits="40"' in page
    assert 'data-day="2026-04-21" data-credits="0"' in page
    assert "40 credits charged" in page


def test_ledger_pages_back_through_older_entries(as_alice, tenant):
    for n in range(55):
        grant(tenant, 1, note=f"grant {n:02d}")
    page = as_alice.get("/billing/").content.decode()
    assert "grant 54" in page and "grant 05" in page and "grant 04" not in page
    older = page.split('href="?before=')[1].split('"')[0]
    rest = as_alice.get(f"/billing/?before={older}").content.decode()
    assert "grant 04" in rest and "grant 00" in rest and "grant 05" not in rest


def test_ledger_csv_exports_the_teams_entries(as_alice, tenant, other_tenant, alice):
    grant(tenant, 100, actor=alice, note="=HYPERLINK(evil)")
    charge(tenant, 32)
    fund(other_tenant, 9)
    response = as_alice.get("/billing/ledger.csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = csv_rows(response)
    assert rows[0] == [
        "created_at",
        "kind",
        "amount",
        "balance_after",
        "generation",
        "actor",
        "note",
        "reference",
    ]
    assert [(r[1], r[2], r[3]) for r in rows[1:]] == [("charge", "-32", "68"), ("grant", "100", "100")]
    # A note that looks like a formula stays text in a spreadsheet.
    assert rows[2][5:] == ["alice@example.org", "'=HYPERLINK(evil)", ""]


def test_generations_csv_exports_the_teams_generations(as_vera, tenant, other_tenant):
    mine = make_generation(tenant, prompt="A calm lake", quoted=32)
    make_generation(other_tenant, prompt="not yours")
    rows = csv_rows(as_vera.get("/billing/generations.csv"))
    assert rows[0][:5] == ["id", "created_at", "status", "provider", "prompt"]
    assert [(r[0], r[4]) for r in rows[1:]] == [(mine.id, "A calm lake")]


def test_billing_needs_a_team_member(client, db):
    assert client.get("/billing/ledger.csv")["Location"].startswith("/accounts/login/")
