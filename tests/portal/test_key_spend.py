"""The keys page shows each key's spend this month against its cap, counted as the cap check does."""

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import transaction

from billing.errors import KeySpendLimit
from generations.holds import capture, hold, key_spend_this_month, release
from tests.factories import fund, make_api_key, make_generation, new_generation

NOW = datetime(2026, 5, 20, 12, tzinfo=UTC)


def spent_cell(page: str, key) -> str:
    row = re.search(rf'<tr data-key="{key.prefix}">(.*?)</tr>', page, re.DOTALL).group(1)
    cell = re.search(r'data-label="Spent this month" data-spent="(\d+)">(.*?)</td>', row, re.DOTALL)
    return cell.group(1), " ".join(re.sub(r"<[^>]+>", " ", cell.group(2)).split())


@time_machine.travel(NOW, tick=False)
def test_each_keys_spend_is_what_the_cap_check_counts(as_alice, tenant, other_tenant):
    fund(tenant, 10_000)
    fund(other_tenant, 10_000)
    capped, _ = make_api_key(tenant, "capped", monthly_credit_limit=100)
    open_key, _ = make_api_key(tenant, "no cap")
    idle, _ = make_api_key(tenant, "idle", monthly_credit_limit=5)
    with time_machine.travel(datetime(2026, 4, 30, 23, tzinfo=UTC), tick=False):
        capture(make_generation(tenant, hold=70, created_by_key=capped))  # last month: not counted
    capture(make_generation(tenant, hold=40, created_by_key=capped), actual_amount=25)  # charged 25
    make_generation(tenant, hold=30, created_by_key=capped)  # held 30, still running
    release(make_generation(tenant, hold=45, created_by_key=capped))  # released: costs nothing
    capture(make_generation(tenant, hold=1234, created_by_key=open_key))
    page = as_alice.get("/keys/").content.decode()
    assert spent_cell(page, capped) == ("55", "55 of 100")
    assert key_spend_this_month(capped) == 55
    assert spent_cell(page, open_key) == ("1234", "1,234")
    assert spent_cell(page, idle) == ("0", "0 of 5")
    # What the page says is left is exactly what the cap check lets through.
    hold(new_generation(tenant, created_by_key=capped), 45)
    with pytest.raises(KeySpendLimit), transaction.atomic():
        hold(new_generation(tenant, created_by_key=capped), 1)
    assert spent_cell(as_alice.get("/keys/").content.decode(), capped) == ("100", "100 of 100, cap reached")


def test_the_keys_page_counts_spend_in_one_query_for_all_keys(
    as_alice, tenant, django_assert_max_num_queries
):
    fund(tenant, 1000)
    for n in range(3):
        key, _ = make_api_key(tenant, f"key {n}", monthly_credit_limit=100)
        make_generation(tenant, hold=10, created_by_key=key)
    as_alice.get("/keys/")  # warm the session and caches
    with django_assert_max_num_queries(30) as few:
        as_alice.get("/keys/")
    for n in range(3, 9):
        key, _ = make_api_key(tenant, f"key {n}", monthly_credit_limit=100)
        make_generation(tenant, hold=10, created_by_key=key)
    with django_assert_max_num_queries(len(few)):
        as_alice.get("/keys/")
