"""Quotes, balance, ledger and providers."""

import pytest

from billing.services import balance
from generations.models import Generation
from tests.api.conftest import PRICE
from tests.factories import fund


def test_a_quote_prices_without_holding(api_client, funded):
    response = api_client.post(
        "/api/v1/quotes", {"prompt": "A cat yawning", "provider": "sandbox"}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["credits"] == PRICE
    assert body["provider"] == "sandbox"
    assert body["available"] == 1000
    assert balance(funded).held == 0
    assert not Generation.objects.exists()


def test_a_quote_for_auto_names_the_provider_it_would_use(api_client, funded):
    body = api_client.post("/api/v1/quotes", {"prompt": "A cat yawning"}, format="json").json()
    assert body["provider"] != "auto"


def test_audio_costs_more(api_client, funded):
    plain = api_client.post("/api/v1/quotes", {"prompt": "A cat yawning"}, format="json").json()
    loud = api_client.post(
        "/api/v1/quotes", {"prompt": "A cat yawning", "generate_audio": True}, format="json"
    )
    assert loud.json()["credits"] > plain["credits"]


@pytest.mark.parametrize(("field", "value"), [("resolution", "8k"), ("bogus", 1), ("prompt", "")])
def test_a_quote_names_the_bad_field(api_client, funded, field, value):
    response = api_client.post("/api/v1/quotes", {"prompt": "A cat yawning", field: value}, format="json")
    assert response.status_code == 422
    assert field in response.json()["error"]["details"]


def test_balance(api_client, funded):
    assert api_client.get("/api/v1/balance").json() == {"balance": 1000, "held": 0, "available": 1000}


def test_balance_is_the_keys_tenants(api_client, funded, other_tenant):
    fund(other_tenant, 5)
    assert api_client.get("/api/v1/balance").json()["balance"] == 1000


def test_the_ledger_lists_the_tenants_movements_newest_first(api_client, funded, other_tenant):
    fund(funded, 50)
    fund(other_tenant, 7)
    body = api_client.get("/api/v1/ledger").json()
    assert [(e["kind"], e["amount"], e["balance_after"]) for e in body["results"]] == [
        ("grant", 50, 1050),
        ("grant", 1000, 1000),
    ]
    assert body["next"] is None


def test_the_ledger_names_a_bad_page_size(api_client, funded):
    response = api_client.get("/api/v1/ledger", {"limit": "many"})
    assert response.status_code == 422
    assert "limit" in response.json()["error"]["details"]


def test_providers_lists_enabled_providers_with_capabilities(api_client, tenant):
    body = api_client.get("/api/v1/providers").json()
    by_slug = {p["slug"]: p["capabilities"] for p in body}
    assert "sandbox" in by_slug
    assert "adaptive" not in by_slug["kie"]["aspect_ratios"]
    assert 8 in by_slug["kie"]["durations"]


def test_providers_show_price_speed_success_and_health(api_client, tenant):
    from datetime import timedelta

    from django.utils import timezone

    from generations.models import Status
    from tests.factories import make_generation

    now = timezone.now()
    make_generation(
        tenant,
        provider="ark",
        status=Status.SUCCEEDED,
        created_at=now - timedelta(seconds=90),
        finished_at=now,
    )
    make_generation(tenant, provider="ark", status=Status.FAILED, finished_at=now)
    rows = {p["slug"]: p for p in api_client.get("/api/v1/providers").json()}
    assert rows["ark"]["reference_price"]["credits"] == 32  # 8 s of 720p at the default 4 credits/s
    assert rows["ark"]["median_seconds"] == 90.0
    assert rows["ark"]["success_rate"] == 0.5
    assert rows["kie"]["median_seconds"] is None and rows["kie"]["success_rate"] is None
    assert rows["kie"]["health"]["skipped"] is False
    assert rows["aizfw"]["capabilities"]["models"] == ["seedance-1.5-pro", "seedance-2.0"]
    assert rows["aizfw"]["capabilities"]["prompt_max_chinese_chars"] == 500
    assert rows["jiekou"]["capabilities"]["service_tiers"] == ["default", "flex"]
