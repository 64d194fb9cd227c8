"""One body limit with a JSON 413, a JSON 400 for anything that does not parse (nesting included),
on the API and on the provider callback views."""

import base64
import json
import struct
import zlib

import pytest
from rest_framework.test import APIClient

from generations.models import Generation
from tests.factories import fund, make_generation

pytestmark = pytest.mark.django_db

DEEP = b'{"prompt": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"


@pytest.fixture
def api(api_key, tenant):
    fund(tenant, 10_000)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key[1]}")
    return client


@pytest.fixture
def callback_url(tenant):
    generation = make_generation(tenant, provider="kie", provider_task_id="task-1", status="queued")
    return f"/callbacks/kie/{generation.callback_token}/"


def png(width: int, height: int, size: int) -> bytes:
    """A real PNG of `width` x `height` padded with an ancillary chunk to about `size` bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x00" * width for _ in range(height))
    head = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
    body = chunk(b"IDAT", zlib.compress(rows))
    pad = chunk(b"teXt", b"c\x00" + b"x" * max(0, size - 200))
    return b"\x89PNG\r\n\x1a\n" + head + pad + body + chunk(b"IEND", b"")


@pytest.mark.parametrize("path", ["/api/v1/generations", "/api/v1/quotes", "/api/v1/jobs/createTask"])
def test_deeply_nested_json_is_a_json_400(api, path):
    response = api.generic("POST", path, DEEP, content_type="application/json")
    assert response.status_code == 400
    assert "nested" in json.dumps(response.json())
    assert not Generation.objects.exists()


def test_deeply_nested_json_in_a_provider_callback_is_a_json_400(client, callback_url):
    response = client.post(callback_url, DEEP, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_callback"


def test_a_two_megabyte_image_as_a_data_uri_is_accepted(api):
    image = "data:image/png;base64," + base64.b64encode(png(640, 360, 2 * 1024 * 1024)).decode()
    body = json.dumps({"prompt": "A cat yawning at the camera", "first_frame": image}).encode()
    assert len(body) > 2.5 * 1024 * 1024
    response = api.generic("POST", "/api/v1/generations", body, content_type="application/json")
    assert response.status_code == 201, response.content[:300]


@pytest.mark.parametrize("path", ["/api/v1/generations", "/api/v1/webhook"])
def test_a_body_over_the_limit_is_a_json_413(api, settings, path):
    settings.REQUEST_MAX_BODY_BYTES = 64 * 1024
    body = json.dumps({"prompt": "x" * 100_000}).encode()
    response = api.generic(
        "PUT" if "webhook" in path else "POST", path, body, content_type="application/json"
    )
    assert response.status_code == 413
    assert response.json()["error"]["details"]["max_bytes"] == 64 * 1024


def test_a_callback_body_over_the_limit_is_a_json_413(client, callback_url, settings):
    settings.REQUEST_MAX_BODY_BYTES = 64 * 1024
    response = client.post(callback_url, b'{"a": "' + b"x" * 100_000 + b'"}', content_type="application/json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"


def test_a_portal_post_over_the_limit_is_a_413_page(client, tenant, alice, settings):
    settings.REQUEST_MAX_BODY_BYTES = 64 * 1024
    client.force_login(alice)
    response = client.post("/generations/new/", {"prompt": "x" * 100_000})
    assert response.status_code == 413
    assert not Generation.objects.exists()
