"""The API does what its documentation says: the delivery log's shape and paging rules, and an
idempotent replay that is byte for byte the first answer."""

import pytest
from rest_framework.test import APIClient

from tests.factories import fund

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(api_key, tenant):
    fund(tenant, 10_000)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key[1]}")
    return client


@pytest.mark.parametrize("limit", ["false", "0", "-1", "101", "1e3", ""])
def test_delivery_log_limit_is_validated(api, limit):
    response = api.get("/api/v1/webhook/deliveries", {"limit": limit})
    assert response.status_code == 422
    assert "limit" in response.json()["error"]["details"]


def test_delivery_log_is_a_page_as_documented(api, client):
    body = api.get("/api/v1/webhook/deliveries").json()
    assert set(body) == {"next", "previous", "results"}
    schema = client.get("/api/schema/?format=json").json()
    response = schema["paths"]["/api/v1/webhook/deliveries"]["get"]["responses"]["200"]
    ref = response["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(schema["components"]["schemas"][ref]["properties"]) == {"next", "previous", "results"}


def test_an_idempotent_replay_is_the_first_answer_byte_for_byte(api):
    body = {"prompt": "A cat yawning at the camera", "duration": 8, "resolution": "720p"}
    first = api.post("/api/v1/generations", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    replay = api.post("/api/v1/generations", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.content == first.content


@pytest.mark.parametrize("raw", ["p=garbage", "p=2026-13-45T99:00:00Z", "o=-1", "r=x", "o=abc"])
@pytest.mark.parametrize("path", ["/api/v1/generations", "/api/v1/ledger", "/api/v1/webhook/deliveries"])
def test_a_forged_cursor_is_a_404_naming_it(api, raw, path):
    import base64

    response = api.get(path, {"cursor": base64.b64encode(raw.encode()).decode()})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "invalid_cursor"
    assert "cursor" in response.json()["error"]["details"]
