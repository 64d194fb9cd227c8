from rest_framework.test import APIClient

from tests.factories import make_api_key


def test_a_key_over_its_rate_gets_429_with_retry_after(api_client, tenant, settings):
    settings.API_THROTTLE_KEY = "2/min"
    assert api_client.get("/api/v1/balance").status_code == 200
    assert api_client.get("/api/v1/balance").status_code == 200
    response = api_client.get("/api/v1/balance")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    assert 0 < int(response["Retry-After"]) <= 60


def test_the_tenant_rate_covers_all_its_keys(api_client, tenant, settings):
    settings.API_THROTTLE_TENANT = "2/min"
    second = APIClient()
    second.credentials(HTTP_AUTHORIZATION=f"Bearer {make_api_key(tenant, 'second')[1]}")
    assert api_client.get("/api/v1/balance").status_code == 200
    assert second.get("/api/v1/balance").status_code == 200
    assert second.get("/api/v1/balance").status_code == 429


def test_other_tenants_are_not_slowed_down(api_client, other_api_client, tenant, settings):
    settings.API_THROTTLE_TENANT = "1/min"
    assert api_client.get("/api/v1/balance").status_code == 200
    assert api_client.get("/api/v1/balance").status_code == 429
    assert other_api_client.get("/api/v1/balance").status_code == 200
