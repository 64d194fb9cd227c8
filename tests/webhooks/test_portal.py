"""The portal's /webhooks/ page: endpoint, secret, deliveries, redelivery."""

from __future__ import annotations

import pytest

from generations.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.factories import PASSWORD
from tests.webhooks.helpers import finish, running_generation

pytestmark = pytest.mark.django_db

URL = "https://hooks.customer.example/seedance"


@pytest.fixture
def owner_client(client, alice, tenant):
    client.login(email=alice.email, password=PASSWORD)
    return client


def test_the_owner_sets_the_endpoint_and_sees_the_secret_once(owner_client, tenant, dns):
    page = owner_client.get("/webhooks/")
    assert page.status_code == 200
    response = owner_client.post(
        "/webhooks/", {"url": URL, "events": ["generation.succeeded"], "enabled": "on"}
    )
    endpoint = WebhookEndpoint.objects.get(tenant=tenant)
    assert (endpoint.url, endpoint.events) == (URL, ["generation.succeeded"])
    assert endpoint.secret in response.content.decode()


def test_a_refused_url_is_shown_on_the_form(owner_client, tenant, settings):
    settings.OUTBOUND_ALLOWLIST = []
    response = owner_client.post("/webhooks/", {"url": "http://10.1.1.1/x", "events": ["generation.failed"]})
    assert "private address" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_deliveries_are_listed_and_can_be_redelivered(owner_client, tenant, queued):
    WebhookEndpoint.objects.create(tenant=tenant, url=URL)
    finish(running_generation(tenant), "failed")
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(state="failed", status_code=500, error="HTTP 500")

    page = owner_client.get("/webhooks/").content.decode()
    assert "generation.failed" in page and "HTTP 500" in page

    response = owner_client.post(f"/webhooks/deliveries/{delivery.pk}/redeliver/")
    assert response.status_code == 302
    assert WebhookDelivery.objects.count() == 2


def test_rotate_shows_the_new_secret(owner_client, tenant):
    response = owner_client.post("/webhooks/rotate/")
    assert WebhookEndpoint.objects.get(tenant=tenant).secret in response.content.decode()


def test_members_without_the_permission_are_refused(client, bob, tenant):
    client.login(email=bob.email, password=PASSWORD)
    assert client.get("/webhooks/").status_code == 403
    assert client.post("/webhooks/rotate/").status_code == 403


def test_another_teams_delivery_cannot_be_redelivered(client, charlie, other_tenant, tenant, queued):
    WebhookEndpoint.objects.create(tenant=tenant, url=URL)
    finish(running_generation(tenant), "failed")
    client.login(email=charlie.email, password=PASSWORD)
    assert (
        client.post(f"/webhooks/deliveries/{WebhookDelivery.objects.get().pk}/redeliver/").status_code == 404
    )
