from __future__ import annotations

import base64
import struct

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.factories import fund
from tests.webhooks.helpers import dns  # noqa: F401 - fixture

PRICE = 32  # 8 s at 720p without audio, from billing's default price table


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    # Throttle counters live in the cache, which outlives a test's database rollback.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _public_dns(dns):  # noqa: F811
    """callback_url hosts are resolved by the outbound guard; there is no real DNS in tests."""
    return dns


@pytest.fixture
def funded(tenant):
    fund(tenant, 1000)
    return tenant


@pytest.fixture
def anonymous_client():
    return APIClient()


@pytest.fixture
def bad_key_client():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer sds_deadbeef_not-a-real-key")
    return client


def png_bytes(width: int, height: int) -> bytes:
    """The first bytes of a PNG: enough for a header reader."""
    ihdr = struct.pack(">II", width, height) + b"\x08\x02\x00\x00\x00"
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr + b"\x00" * 4


def jpeg_bytes(width: int, height: int) -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof0 + b"\xff\xd9"


def webp_bytes(width: int, height: int) -> bytes:
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\x00\x00\x00\x00"
    vp8x += (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return b"RIFF" + struct.pack("<I", len(vp8x) + 4) + b"WEBP" + vp8x


def data_uri(data: bytes, kind: str = "png") -> str:
    return f"data:image/{kind};base64," + base64.b64encode(data).decode()
