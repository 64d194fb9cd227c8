"""GET/PUT /api/v1/webhook, rotate, the delivery log and redelivery."""

from __future__ import annotations

import pytest

from generations.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.webhooks.helpers import finish, running_generation

pytestmark = pytest.mark.django_db

URL = "https://hooks.customer.example/seedance"


def test_before_any_setup_there_is_no_endpoint(api_client):
    data = api_client.get("/api/v1/webhook").json()
    assert data["url"] is None
    assert data["events"] == [
        "generation.succeeded",
        "generation.failed",
        "generation.cancelled",
        "generation.expired",
    ]
    assert "secret" not in data


def test_put_answers_with_the_secret_the_first_time_only(api_client, dns):
    first = api_client.put("/api/v1/webhook", {"url": URL}, format="json")
    assert first.status_code == 200
    assert first.json()["secret"].startswith("whsec_")
    assert first.json()["url"] == URL

    again = api_client.put("/api/v1/webhook", {"url": URL, "events": ["generation.succeeded"]}, format="json")
    assert "secret" not in again.json()
    assert again.json()["events"] == ["generation.succeeded"]
    assert "secret" not in api_client.get("/api/v1/webhook").json()
    assert api_client.get("/api/v1/webhook").json()["secret_hint"] == "whsec_…" + first.json()["secret"][-4:]


def test_rotate_answers_with_a_new_secret(api_client, dns, tenant):
    old = api_client.put("/api/v1/webhook", {"url": URL}, format="json").json()["secret"]
    new = api_client.post("/api/v1/webhook/rotate").json()["secret"]
    assert new != old and new.startswith("whsec_")
    assert WebhookEndpoint.objects.get(tenant=tenant).secret == new


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"url": "http://127.0.0.1:9000/hook"}, "url", "loopback"),
        ({"url": "http://169.254.169.254/"}, "url", "metadata"),
        ({"url": "ftp://hooks.customer.example/"}, "url", "http and https"),
        ({}, "url", "required"),
        ({"url": URL, "events": ["generation.exploded"]}, "events", "generation.exploded"),
        ({"url": URL, "events": []}, "events", "non-empty"),
        ({"url": URL, "enabled": "yes"}, "enabled", "true or false"),
        ({"url": URL, "secret": "whsec_mine"}, "secret", "not a known field"),
    ],
)
def test_bad_settings_are_a_422_naming_the_field_and_change_nothing(
    api_client, dns, settings, body, field, words
):
    settings.OUTBOUND_ALLOWLIST = []
    response = api_client.put("/api/v1/webhook", body, format="json")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert words in error["details"][field]
    assert not WebhookEndpoint.objects.exists()


def test_a_private_name_is_refused(api_client, dns, settings):
    settings.OUTBOUND_ALLOWLIST = []
    dns["hooks.internal.example"] = ["10.0.0.5"]
    response = api_client.put("/api/v1/webhook", {"url": "https://hooks.internal.example/x"}, format="json")
    assert response.status_code == 422
    assert "10.0.0.5" in response.json()["error"]["details"]["url"]


def test_saving_again_re_enables_a_disabled_endpoint(api_client, dns, tenant):
    from django.utils import timezone

    WebhookEndpoint.objects.create(
        tenant=tenant, url=URL, disabled_at=timezone.now(), consecutive_failures=40, disabled_reason="x"
    )
    data = api_client.put("/api/v1/webhook", {"url": URL}, format="json").json()
    assert data["enabled"] is True and data["consecutive_failures"] == 0
    data = api_client.put("/api/v1/webhook", {"url": URL, "enabled": False}, format="json").json()
    assert data["enabled"] is False


def test_the_delivery_log_lists_this_tenants_deliveries_only(api_client, tenant, other_tenant, queued):
    WebhookEndpoint.objects.create(tenant=tenant, url=URL)
    WebhookEndpoint.objects.create(tenant=other_tenant, url="https://charlie.example/hook")
    finish(running_generation(tenant), "failed")
    finish(running_generation(other_tenant, provider_task_id="c"), "failed")

    data = api_client.get("/api/v1/webhook/deliveries").json()
    assert [d["url"] for d in data["results"]] == [URL]
    row = data["results"][0]
    assert (row["event_type"], row["state"], row["attempts"], row["status_code"]) == (
        "generation.failed",
        "pending",
        0,
        None,
    )
    assert api_client.get("/api/v1/webhook/deliveries?state=delivered").json()["results"] == []
    assert api_client.get("/api/v1/webhook/deliveries?state=bogus").status_code == 422


def test_redeliver_queues_a_copy_and_another_tenant_gets_404(api_client, other_api_client, tenant, queued):
    WebhookEndpoint.objects.create(tenant=tenant, url=URL)
    finish(running_generation(tenant), "failed")
    original = WebhookDelivery.objects.get()

    assert other_api_client.post(f"/api/v1/webhook/deliveries/{original.pk}/redeliver").status_code == 404
    response = api_client.post(f"/api/v1/webhook/deliveries/{original.pk}/redeliver")
    assert response.status_code == 202
    assert response.json()["redelivery_of"] == original.pk
    assert response.json()["webhook_id"] == original.webhook_id
    assert WebhookDelivery.objects.count() == 2


def test_another_tenants_webhook_settings_are_invisible(api_client, other_api_client, dns):
    api_client.put("/api/v1/webhook", {"url": URL}, format="json")
    assert other_api_client.get("/api/v1/webhook").json()["url"] is None
