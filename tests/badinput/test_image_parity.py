"""One image check on every surface: the portal's upload and image URL field, the API's create
(data: URI or URL) and POST /api/v1/files refuse the same image with the same words, and none
of them writes anything or holds a credit."""

from __future__ import annotations

import base64
import html
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from billing import services as billing
from tests.api.conftest import jpeg_bytes, png_bytes, webp_bytes
from tests.badinput.test_portal_forms import assert_unchanged, snapshot
from tests.factories import fund

pytestmark = pytest.mark.django_db

# Image bytes the API refuses: (name, bytes, file name, words in the message)
BAD_BYTES = [
    ("100x100", png_bytes(100, 100), "a.png", "300 to 6000"),
    ("2000x400", png_bytes(2000, 400), "a.png", "aspect ratio"),
    ("6001x4000", png_bytes(6001, 4000), "a.png", "300 to 6000"),
    ("400x1000 jpeg", jpeg_bytes(400, 1000), "a.jpg", "aspect ratio"),
    ("100x100 webp", webp_bytes(100, 100), "a.webp", "300 to 6000"),
    ("not an image", b"%PDF-1.7 hello there", "a.png", "not a jpeg/png"),
    ("truncated gif", b"GIF89a" + b"\x00" * 20, "a.gif", "truncated or damaged"),
    ("over 10 MB", b"\x89PNG\r\n\x1a\n" + b"\x00" * (10 * 2**20 + 1), "a.png", "10 MB"),
]
# Image references the API refuses: (name, value, words in the message)
BAD_REFERENCES = [
    ("javascript:", "javascript:alert(document.domain)", "http(s) URL"),
    ("file:", "file:///etc/passwd", "http(s) URL"),
    ("metadata address", "http://169.254.169.254/latest/meta-data/x.png", "metadata"),
    ("private address", "http://10.0.0.1/x.png", "private address"),
    ("loopback", "http://127.0.0.1/x.png", "loopback"),
    ("svg", "https://example.org/x.svg", "not svg"),
    ("NUL byte", "https://example.org/\x00.png", "control characters"),
]

FORM = {"prompt": "A cat yawning at the camera", "provider": "auto", "aspect_ratio": "16:9",
        "resolution": "720p", "duration": "8"}  # fmt: skip
BODY = {**FORM, "duration": 8}


@pytest.fixture
def surfaces(tenant, alice, api_key, settings):
    settings.OUTBOUND_ALLOWLIST = []  # the outbound guard as in production (tests allow loopback)
    fund(tenant, 1000)
    portal = Client()
    portal.force_login(alice)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key[1]}")
    return portal, api


def api_message(response, field: str) -> str:
    assert response.status_code == 422, response.content[:300]
    return response.json()["error"]["details"][field]


def portal_message(response, field: str) -> str:
    """The image's error on the re-rendered form, without the form's "This image cannot be used:"."""
    assert response.status_code == 422
    page = html.unescape(response.content.decode())
    shown = re.findall(r'class="(?:error|alert alert-error)"[^>]*>(.*?)</', page, re.DOTALL)
    messages = {
        m.strip().removeprefix("First frame: ").removeprefix("This image cannot be used: ") for m in shown
    }
    assert len(messages) == 1, f"{field}: {shown}"
    return messages.pop()


@pytest.mark.parametrize("data,name,words", [case[1:] for case in BAD_BYTES], ids=[c[0] for c in BAD_BYTES])
def test_image_bytes_are_refused_alike_everywhere(surfaces, tenant, data, name, words):
    portal, api = surfaces
    before = snapshot()
    kind = {"jpg": "jpeg"}.get(name.rsplit(".", 1)[1], name.rsplit(".", 1)[1])
    uri = f"data:image/{kind};base64," + base64.b64encode(data).decode()
    messages = {
        "API create": api_message(api.post("/api/v1/generations", {**BODY, "first_frame": uri}, format="json"),
                                  "first_frame"),
        "API files": api_message(api.post("/api/v1/files", {"file": SimpleUploadedFile(name, data)},
                                          format="multipart"), "file"),
        "portal frame upload": portal_message(portal.post("/generations/new/frames/first_frame/",
                                                          {"file": SimpleUploadedFile(name, data)}), "first_frame"),
        "portal upload": portal_message(portal.post("/generations/new/",
                                                    {**FORM, "first_frame": SimpleUploadedFile(name, data)}),
                                        "first_frame"),
    }  # fmt: skip
    assert len(set(messages.values())) == 1, messages
    assert words in next(iter(messages.values()))
    assert_unchanged(before)
    assert billing.balance(tenant).held == 0


@pytest.mark.parametrize(
    "value,words", [case[1:] for case in BAD_REFERENCES], ids=[c[0] for c in BAD_REFERENCES]
)
def test_image_references_are_refused_alike_everywhere(surfaces, tenant, value, words):
    portal, api = surfaces
    before = snapshot()
    messages = {
        "API create": api_message(
            api.post("/api/v1/generations", {**BODY, "first_frame": value}, format="json"), "first_frame"
        ),
        "portal URL": portal_message(
            portal.post("/generations/new/", {**FORM, "first_frame_url": value}), "first_frame_url"
        ),
    }
    assert len(set(messages.values())) == 1, messages
    assert words in messages["API create"]
    assert_unchanged(before)
    assert billing.balance(tenant).held == 0
