"""Every id parameter is checked for form before it reaches the database: a NUL byte or any
other malformed id is a 404 (or a 422 naming a query parameter), never a 500."""

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

BAD_IDS = ["%00", "gen_%00", "x" * 300, "gen_' OR 1=1 --"]


@pytest.fixture
def as_alice(client, tenant, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def api(api_key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key[1]}")
    return client


@pytest.mark.parametrize("bad", BAD_IDS)
@pytest.mark.parametrize(
    "method,path",
    [
        ("get", "/api/v1/generations/{}"),
        ("post", "/api/v1/generations/{}/cancel"),
        ("get", "/api/v1/generations/{}/video"),
        ("get", "/api/v1/generations/{}/last-frame"),
    ],
)
def test_api_paths_with_a_malformed_id_are_a_json_404(api, method, path, bad):
    response = getattr(api, method)(path.format(bad))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("bad", ["\x00", "gen_\x00", "x" * 300])
def test_kie_record_info_with_a_malformed_task_id_is_a_404(api, bad):
    response = api.get("/api/v1/jobs/recordInfo", {"taskId": bad})
    assert response.status_code == 404
    assert response.json()["code"] == 404


@pytest.mark.parametrize("bad", ["\x00", "gen_\x00", "x" * 300])
def test_delivery_log_with_a_malformed_generation_id_is_a_422(api, bad):
    response = api.get("/api/v1/webhook/deliveries", {"generation_id": bad})
    assert response.status_code == 422
    assert "generation_id" in response.json()["error"]["details"]


@pytest.mark.parametrize(
    "path",
    [
        "/generations/%00/",
        "/generations/%00/live/",
        "/generations/?after=%00",
        "/generations/new/?from=%00",
        "/results/%00/video",
        "/results/%00/last-frame",
        "/accounts/invitations/%00/",
        "/files/%00",
    ],
)
def test_portal_pages_with_a_malformed_id_are_a_4xx_page(as_alice, path):
    response = as_alice.get(path)
    assert 400 <= response.status_code < 500, path


def test_a_provider_callback_with_a_malformed_token_is_a_404(client, db):
    response = client.post("/callbacks/kie/%00/", b"{}", content_type="application/json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
