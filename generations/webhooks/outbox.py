"""Customer webhook deliveries for a change of a generation's stage.

generations.followups calls `record_change()` for each GenerationChange it claims, in the same
transaction that marks the change processed. It inserts one `WebhookDelivery` per destination
and asks for delivery with `transaction.on_commit`. So a change is turned into deliveries
exactly once, and a committed delivery row is always sent: if the process dies before the
on-commit enqueue, `tasks.sweep_deliveries` finds the due rows a minute later.

A generation reaches `succeeded` only once our copy of its video exists
(generations.lifecycle), so every body built here carries a working `video_url`.

Destinations of one event:
- the tenant endpoint, when it has a URL, is enabled and subscribes to the event;
- the generation's `callback_url` (terminal events only), unless it is the endpoint's URL;
- the Kie-compatible surface's `callBackUrl` (terminal events only), with Kie's body shape.
All are signed with the tenant's secret (the endpoint row holds it even without a URL).
"""

from __future__ import annotations

import json
import logging

from django.db import transaction
from django_q.tasks import async_task

from generations.models import Generation, GenerationChange, Status
from generations.webhooks import models as m
from generations.webhooks.models import WebhookDelivery, WebhookEndpoint
from generations.webhooks.signing import new_webhook_id

log = logging.getLogger("generations.webhooks")

EVENT_FOR_STATUS = {
    Status.SUCCEEDED: m.EVENT_SUCCEEDED,
    Status.FAILED: m.EVENT_FAILED,
    Status.CANCELLED: m.EVENT_CANCELLED,
    Status.EXPIRED: m.EVENT_EXPIRED,
    Status.RUNNING: m.EVENT_RUNNING,
}


def generation_body(generation: Generation, event: str) -> str:
    """The API's generation JSON plus the event type, as the exact text that is signed and sent."""
    from generations.api.serializers import GenerationSerializer

    data = dict(GenerationSerializer(generation).data)
    data["type"] = event
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def kie_body(generation: Generation) -> str:
    from generations.api.kie import kie_callback_body

    return json.dumps(kie_callback_body(generation), separators=(",", ":"), ensure_ascii=False)


def endpoint_for(tenant) -> WebhookEndpoint:
    """The tenant's endpoint row, created (with a fresh secret and no URL) on first need."""
    endpoint, _ = WebhookEndpoint.objects.get_or_create(tenant=tenant)
    return endpoint


def record_change(change: GenerationChange) -> int:
    """Write the deliveries a change calls for (run inside the caller's transaction); returns
    how many. They are sent once the transaction commits."""
    event = EVENT_FOR_STATUS.get(change.to_stage)
    if event is None:
        return 0
    deliveries = record_event(change.generation, event)
    if deliveries:
        ids = [d.pk for d in deliveries]
        transaction.on_commit(lambda: enqueue(ids))
    return len(deliveries)


def record_event(generation: Generation, event: str) -> list[WebhookDelivery]:
    """Insert the delivery rows of one event (no network: this runs inside the caller's transaction)."""
    terminal = event in m.TERMINAL_EVENTS
    endpoint = WebhookEndpoint.objects.filter(tenant_id=generation.tenant_id).first()
    targets: list[tuple[str, str, str]] = []  # (target, url, body)
    body = None
    if endpoint is not None and endpoint.wants(event):
        body = generation_body(generation, event)
        targets.append((WebhookDelivery.Target.ENDPOINT, endpoint.url, body))
    if terminal and generation.callback_url and not (targets and generation.callback_url == endpoint.url):
        targets.append(
            (
                WebhookDelivery.Target.CALLBACK,
                generation.callback_url,
                body or generation_body(generation, event),
            )
        )
    kie_url = _kie_callback_url(generation)
    if terminal and kie_url:
        targets.append((WebhookDelivery.Target.KIE, kie_url, kie_body(generation)))
    if not targets:
        return []
    endpoint = endpoint or endpoint_for(generation.tenant)
    # One message id per event: the same event reaching two URLs is still one message.
    webhook_id = new_webhook_id()
    return WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            tenant_id=generation.tenant_id,
            endpoint=endpoint,
            generation=generation,
            target=target,
            url=url,
            event_type=event,
            webhook_id=webhook_id,
            body=text,
        )
        for target, url, text in targets
    )


def _kie_callback_url(generation: Generation) -> str:
    try:
        return generation.kie_task.callback_url
    except Exception:  # noqa: BLE001 - no KieTask row (RelatedObjectDoesNotExist), or no API app
        return ""


def enqueue(delivery_ids: list[int]) -> None:
    for delivery_id in delivery_ids:
        async_task("generations.webhooks.delivery.deliver", delivery_id, task_name=f"webhook-{delivery_id}")
