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


def test_the_window_slides_and_retry_after_names_the_longer_wait(api_client, settings, time_machine):
    time_machine.move_to("2026-06-01 12:00:00+00:00", tick=False)
    settings.API_THROTTLE_KEY, settings.API_THROTTLE_TENANT = "1/min", "2/hour"
    assert api_client.get("/api/v1/balance").status_code == 200
    refused = api_client.get("/api/v1/balance")
    assert refused.status_code == 429 and refused["Retry-After"] == "60"  # the key's minute
    time_machine.shift(61)
    assert api_client.get("/api/v1/balance").status_code == 200  # the first left the window
    time_machine.shift(61)
    refused = api_client.get("/api/v1/balance")  # the key has room; the tenant's hour has not
    assert refused.status_code == 429 and refused["Retry-After"] == str(3600 - 122)


def test_a_refused_request_does_not_count(api_client, settings, time_machine):
    time_machine.move_to("2026-06-01 12:00:00+00:00", tick=False)
    settings.API_THROTTLE_KEY, settings.API_THROTTLE_TENANT = "2/min", "1/min"
    assert api_client.get("/api/v1/balance").status_code == 200
    assert api_client.get("/api/v1/balance").status_code == 429  # the tenant's limit
    settings.API_THROTTLE_TENANT = "100/min"
    # The key has used one of its two: the refused request was not recorded against it.
    assert api_client.get("/api/v1/balance").status_code == 200
    assert api_client.get("/api/v1/balance").status_code == 429
