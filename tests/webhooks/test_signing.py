"""Deliveries verify with an independent Standard Webhooks implementation written from the spec."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import httpx
import pytest
import time_machine

from generations.webhooks.delivery import deliver
from generations.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.webhooks.helpers import finish, running_generation

pytestmark = pytest.mark.django_db

URL = "https://hooks.customer.example/seedance"
TOLERANCE = 5 * 60  # the spec's suggested timestamp tolerance


def verify(secret: str, headers: dict, body: bytes, now: int) -> dict:
    """Standard Webhooks verification, from https://www.standardwebhooks.com/ (not our signer)."""
    msg_id = headers["webhook-id"]
    timestamp = headers["webhook-timestamp"]
    if abs(now - int(timestamp)) > TOLERANCE:
        raise ValueError("timestamp outside tolerance")
    assert secret.startswith("whsec_")
    key = base64.b64decode(secret[len("whsec_") :])
    to_sign = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, to_sign, hashlib.sha256).digest())
    for candidate in headers["webhook-signature"].split(" "):
        version, _, sig = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(sig.encode(), expected):
            return json.loads(body)
    raise ValueError("no valid signature")


@pytest.fixture
def endpoint(tenant):
    return WebhookEndpoint.objects.create(tenant=tenant, url=URL)


def test_a_delivery_verifies_with_the_reference_implementation(endpoint, tenant, queued, dns, respx_mock):
    route = respx_mock.post(URL).mock(return_value=httpx.Response(200, text="ok"))
    generation = running_generation(tenant)
    with time_machine.travel("2026-03-01 12:00:00Z", tick=False):
        finish(generation, "failed", error_code="x", error_message="y")
        assert deliver(WebhookDelivery.objects.get().pk) == "delivered"

    request = route.calls.last.request
    payload = verify(endpoint.secret, request.headers, request.content, now=1772366400)
    assert payload["type"] == "generation.failed"
    assert payload["id"] == generation.pk
    assert request.headers["webhook-timestamp"] == "1772366400"
    assert request.headers["content-type"] == "application/json"


def test_a_tampered_body_or_another_secret_fails_verification(endpoint, tenant, queued, dns, respx_mock):
    route = respx_mock.post(URL).mock(return_value=httpx.Response(204))
    with time_machine.travel("2026-03-01 12:00:00Z", tick=False):
        finish(running_generation(tenant), "cancelled")
        deliver(WebhookDelivery.objects.get().pk)
    request = route.calls.last.request
    now = int(request.headers["webhook-timestamp"])

    with pytest.raises(ValueError, match="no valid signature"):
        verify(endpoint.secret, request.headers, request.content.replace(b"cancelled", b"succeeded"), now)
    other_secret = "whsec_" + base64.b64encode(b"k" * 24).decode()
    with pytest.raises(ValueError, match="no valid signature"):
        verify(other_secret, request.headers, request.content, now)


def test_each_retry_has_a_fresh_timestamp_and_the_same_id_and_body(endpoint, tenant, queued, dns, respx_mock):
    route = respx_mock.post(URL).mock(side_effect=[httpx.Response(500), httpx.Response(200)])
    with time_machine.travel("2026-03-01 12:00:00Z", tick=False) as clock:
        finish(running_generation(tenant), "expired")
        delivery = WebhookDelivery.objects.get()
        deliver(delivery.pk)
        clock.shift(61)
        assert deliver(delivery.pk) == "delivered"

    first, second = (call.request for call in route.calls)
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == delivery.webhook_id
    assert first.content == second.content
    assert int(second.headers["webhook-timestamp"]) - int(first.headers["webhook-timestamp"]) == 61
    for request in (first, second):
        verify(
            endpoint.secret, request.headers, request.content, now=int(request.headers["webhook-timestamp"])
        )


def test_a_rotated_secret_signs_the_next_attempt(endpoint, tenant, queued, dns, respx_mock):
    from generations.webhooks.services import rotate_secret

    route = respx_mock.post(URL).mock(return_value=httpx.Response(200))
    finish(running_generation(tenant), "failed")
    new_secret = rotate_secret(tenant).secret
    assert new_secret != endpoint.secret
    deliver(WebhookDelivery.objects.get().pk)
    request = route.calls.last.request
    verify(new_secret, request.headers, request.content, now=int(request.headers["webhook-timestamp"]))
