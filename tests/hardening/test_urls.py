"""URLs we will contact are checked at create exactly as PUT /api/v1/webhook checks them."""

import pytest
from rest_framework.test import APIClient

from generations.models import Generation
from tests.factories import fund

pytestmark = pytest.mark.django_db

INTERNAL = [
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/hook",
    "http://[::1]/hook",
    "http://127.0.0.1:8000/hook",
    "http://[::ffff:10.0.0.1]/hook",
    "ftp://example.org/hook",
    "javascript:alert(1)",
]


@pytest.fixture
def api(api_key, tenant, settings):
    settings.OUTBOUND_ALLOWLIST = []
    fund(tenant, 10_000)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key[1]}")
    return client


@pytest.mark.parametrize("url", INTERNAL)
def test_callback_url_naming_an_internal_address_is_refused_at_create(api, url, dns):
    body = {"prompt": "A cat yawning at the camera", "callback_url": url}
    response = api.post("/api/v1/generations", body, format="json")
    assert response.status_code == 422
    assert "callback_url" in response.json()["error"]["details"]
    assert not Generation.objects.exists()
    assert api.put("/api/v1/webhook", {"url": url}, format="json").status_code == 422


@pytest.mark.parametrize("url", INTERNAL)
def test_kie_callBackUrl_naming_an_internal_address_is_refused_at_create(api, url, dns):
    body = {
        "model": "bytedance/seedance-1.5-pro",
        "callBackUrl": url,
        "input": {"prompt": "A cat yawning at the camera"},
    }
    response = api.post("/api/v1/jobs/createTask", body, format="json")
    assert response.status_code == 422
    assert "callBackUrl" in response.json()["msg"]
    assert not Generation.objects.exists()


def test_a_host_resolving_to_a_private_address_is_refused(api, dns):
    dns["hooks.internal.example"] = ["10.1.2.3"]
    body = {"prompt": "A cat yawning at the camera", "callback_url": "https://hooks.internal.example/x"}
    response = api.post("/api/v1/generations", body, format="json")
    assert response.status_code == 422
    assert "10.1.2.3" in response.json()["error"]["details"]["callback_url"]


def test_a_public_callback_url_is_accepted(api, dns):
    body = {"prompt": "A cat yawning at the camera", "callback_url": "https://hooks.example.com/seedance"}
    response = api.post("/api/v1/generations", body, format="json")
    assert response.status_code == 201
    assert response.json()["callback_url"] == "https://hooks.example.com/seedance"


@pytest.mark.parametrize(
    "url", ["http://169.254.169.254/a.png", "http://10.0.0.1/a.png", "file:///etc/passwd"]
)
def test_image_urls_naming_an_internal_address_are_refused(api, url):
    body = {"prompt": "A cat yawning at the camera", "first_frame": url}
    response = api.post("/api/v1/generations", body, format="json")
    assert response.status_code == 422
    assert "first_frame" in response.json()["error"]["details"]
