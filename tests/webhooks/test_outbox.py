"""Delivery rows are written by the outbox worker, in the transaction that marks the change
they report processed."""

from __future__ import annotations

import json

import pytest
from django.db import transaction

from generations.models import GenerationChange
from generations.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.webhooks.helpers import finish, running_generation

pytestmark = pytest.mark.django_db

URL = "https://hooks.customer.example/seedance"


@pytest.fixture
def endpoint(tenant):
    return WebhookEndpoint.objects.create(tenant=tenant, url=URL)


def test_a_terminal_update_writes_a_delivery_with_the_generation_json(endpoint, tenant, queued):
    generation = running_generation(tenant)
    finish(generation, "failed", error_code="content_policy", error_message="Refused by the model.")

    delivery = WebhookDelivery.objects.get()
    body = json.loads(delivery.body)
    assert (delivery.url, delivery.event_type, delivery.state) == (URL, "generation.failed", "pending")
    assert body["type"] == "generation.failed"
    assert body["id"] == generation.pk
    assert body["status"] == "failed"
    assert body["error"] == {"code": "content_policy", "message": "Refused by the model."}
    assert delivery.webhook_id.startswith("msg_")


def test_a_rolled_back_update_leaves_no_delivery(endpoint, tenant, queued):
    generation = running_generation(tenant)

    with pytest.raises(RuntimeError), transaction.atomic():
        finish(generation, "succeeded")
        assert WebhookDelivery.objects.count() == 1  # written inside the transaction...
        raise RuntimeError("crash before commit")

    assert WebhookDelivery.objects.count() == 0  # ...and gone with it
    generation.refresh_from_db()
    assert generation.status == "running"


def test_changes_and_deliveries_are_enqueued_only_on_commit(
    endpoint, tenant, queued, django_capture_on_commit_callbacks
):
    generation = running_generation(tenant)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        finish(generation, "failed")
    assert queued == []
    for callback in callbacks:
        callback()
    delivery = WebhookDelivery.objects.get()
    change = GenerationChange.objects.get(generation=generation)
    assert queued == [
        ("generations.followups.process_change", (change.pk,)),
        ("generations.webhooks.delivery.deliver", (delivery.pk,)),
    ]


@pytest.mark.parametrize(
    ("state", "event"),
    [
        ("succeeded", "generation.succeeded"),
        ("failed", "generation.failed"),
        ("cancelled", "generation.cancelled"),
        ("expired", "generation.expired"),
    ],
)
def test_every_terminal_state_has_its_event(endpoint, tenant, queued, state, event):
    finish(running_generation(tenant), state)
    assert list(WebhookDelivery.objects.values_list("event_type", flat=True)) == [event]


def test_running_is_sent_only_to_endpoints_that_subscribe(endpoint, tenant, queued):
    first = running_generation(tenant, status="queued")
    finish(first, "running")
    assert WebhookDelivery.objects.count() == 0

    endpoint.events = ["generation.running", "generation.succeeded"]
    endpoint.save()
    second = running_generation(tenant, status="queued", provider_task_id="task-2")
    finish(second, "running")
    assert list(WebhookDelivery.objects.values_list("event_type", flat=True)) == ["generation.running"]


def test_unsubscribed_and_disabled_endpoints_get_nothing(endpoint, tenant, queued):
    endpoint.events = ["generation.succeeded"]
    endpoint.save()
    finish(running_generation(tenant), "failed")
    assert WebhookDelivery.objects.count() == 0

    from django.utils import timezone

    endpoint.disabled_at = timezone.now()
    endpoint.save()
    finish(running_generation(tenant, provider_task_id="task-2"), "succeeded")
    assert WebhookDelivery.objects.count() == 0


def test_callback_url_gets_terminal_events_signed_with_the_tenant_secret(tenant, queued):
    generation = running_generation(tenant, callback_url="https://app.customer.example/done")
    finish(generation, "expired")

    delivery = WebhookDelivery.objects.get()
    assert (delivery.target, delivery.url) == ("callback", "https://app.customer.example/done")
    # No endpoint was configured: one was created to hold the tenant's signing secret.
    assert delivery.endpoint == WebhookEndpoint.objects.get(tenant=tenant)
    assert delivery.endpoint.secret.startswith("whsec_")
    assert delivery.endpoint.url == ""


def test_endpoint_and_callback_url_both_get_the_event_under_one_webhook_id(endpoint, tenant, queued):
    finish(running_generation(tenant, callback_url="https://app.customer.example/done"), "succeeded")
    rows = list(WebhookDelivery.objects.order_by("target"))
    assert [r.target for r in rows] == ["callback", "endpoint"]
    assert rows[0].webhook_id == rows[1].webhook_id


def test_a_callback_url_equal_to_the_endpoint_is_sent_once(endpoint, tenant, queued):
    finish(running_generation(tenant, callback_url=URL), "succeeded")
    assert WebhookDelivery.objects.count() == 1


def test_other_tenants_events_do_not_reach_this_endpoint(endpoint, other_tenant, queued):
    finish(running_generation(other_tenant), "succeeded")
    assert WebhookDelivery.objects.count() == 0


def test_kie_callback_url_gets_a_kie_shaped_body(tenant, queued):
    from generations.api.models import KieTask

    generation = running_generation(tenant)
    KieTask.objects.create(
        generation=generation,
        model="bytedance/seedance-1.5-pro",
        callback_url="https://kie.customer.example/cb",
        param="{}",
    )
    finish(generation, "failed", error_code="boom", error_message="It broke.")

    delivery = WebhookDelivery.objects.get()
    body = json.loads(delivery.body)
    assert delivery.target == "kie"
    assert body["code"] == 501
    assert body["data"]["taskId"] == generation.pk
    assert body["data"]["state"] == "fail"
