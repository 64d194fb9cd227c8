"""Configuring a tenant's webhook endpoint (API and portal call these; views stay thin)."""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import audit
from accounts.models import Tenant
from generations.webhooks import delivery as sender
from generations.webhooks.models import ALL_EVENTS, WebhookDelivery, WebhookEndpoint
from generations.webhooks.signing import new_secret, new_webhook_id
from seedance_site import validators
from seedance_site.errors import DomainError

MAX_URL_LENGTH = validators.MAX_URL_LENGTH


class InvalidWebhook(DomainError):
    """Bad endpoint settings; `details` maps each field to what is wrong with it."""

    code = "validation_error"
    http_status = 422

    def __init__(self, errors: dict[str, str]):
        fields = "; ".join(f"{field}: {message}" for field, message in errors.items())
        super().__init__(f"Invalid webhook settings: {fields}", details=errors)


def clean_url(url) -> str:
    """A URL the outbound guard accepts now, or InvalidWebhook naming `url`.

    Checked when saved, for a clear error in the form; checked again at every delivery,
    because DNS can change.
    """
    if not isinstance(url, str) or not url.strip():
        raise InvalidWebhook({"url": "is required: an http(s) URL that accepts POST requests."})
    try:
        return validators.check_url(url.strip())
    except ValidationError as error:
        raise InvalidWebhook({"url": error.messages[0]}) from None


def clean_events(events) -> list[str]:
    if not isinstance(events, list) or not all(isinstance(e, str) for e in events) or not events:
        raise InvalidWebhook({"events": f"must be a non-empty list of: {', '.join(ALL_EVENTS)}."})
    unknown = [e for e in events if e not in ALL_EVENTS]
    if unknown:
        raise InvalidWebhook(
            {"events": f"unknown event(s) {', '.join(unknown)}; allowed: {', '.join(ALL_EVENTS)}."}
        )
    return [e for e in ALL_EVENTS if e in events]  # canonical order, no duplicates


def configure(tenant: Tenant, *, url, events=None, enabled=None) -> tuple[WebhookEndpoint, bool]:
    """Set the tenant's endpoint. Returns (endpoint, secret_is_new).

    Validates everything before writing anything. Saving a URL (again) or `enabled=True`
    re-enables a disabled endpoint and clears its failure count.
    """
    url = clean_url(url)
    events = clean_events(events) if events is not None else None
    if enabled is not None and not isinstance(enabled, bool):
        raise InvalidWebhook({"enabled": "must be true or false."})
    with transaction.atomic():
        endpoint, created = WebhookEndpoint.objects.select_for_update().get_or_create(tenant=tenant)
        # A row created earlier only to hold the secret of callback_url deliveries has never shown
        # its secret through the endpoint settings: show it now, once, as for a new endpoint.
        secret_is_new = created or not endpoint.url
        endpoint.url = url
        if events is not None:
            endpoint.events = events
        if enabled is False:
            if endpoint.disabled_at is None:
                endpoint.disabled_at = timezone.now()
                endpoint.disabled_reason = "Disabled by the tenant."
        else:
            endpoint.disabled_at = None
            endpoint.disabled_reason = ""
            endpoint.consecutive_failures = 0
            endpoint.failing_since = None
        endpoint.save()
    return endpoint, secret_is_new


def rotate_secret(tenant: Tenant, *, actor=None, request=None) -> WebhookEndpoint:
    """A new signing secret; the old one stops working at once (deliveries are signed when sent)."""
    with transaction.atomic():
        endpoint, _ = WebhookEndpoint.objects.select_for_update().get_or_create(tenant=tenant)
        endpoint.secret = new_secret()
        endpoint.save(update_fields=["secret", "updated_at"])
        audit.record(actor, "webhook.secret_rotate", tenant=tenant, target=endpoint, request=request)
    return endpoint


EVENT_TEST = "webhook.test"


def send_test_event(tenant: Tenant, *, actor=None, request=None):
    """Send a signed `webhook.test` event to the endpoint now and return its delivery.

    The attempt is made in this call (the owner is looking at the page and wants the answer);
    if it fails, it is retried like any delivery.
    """
    endpoint = WebhookEndpoint.objects.filter(tenant=tenant).first()
    if endpoint is None or not endpoint.url:
        raise InvalidWebhook({"url": "Save an endpoint URL first."})
    if not endpoint.is_enabled:
        raise InvalidWebhook({"enabled": "The endpoint is disabled: enable it first."})
    now = timezone.now()
    webhook_id = new_webhook_id()
    body = {
        "type": EVENT_TEST,
        "id": webhook_id,
        "created_at": now.isoformat(),
        "data": {"team": tenant.slug, "message": "A test event from Seedance Studio."},
    }
    with transaction.atomic():
        delivery = WebhookDelivery.objects.create(
            tenant=tenant,
            endpoint=endpoint,
            target=WebhookDelivery.Target.ENDPOINT,
            url=endpoint.url,
            event_type=EVENT_TEST,
            webhook_id=webhook_id,
            body=json.dumps(body, separators=(",", ":")),
            # Not due: this call sends it; a failed attempt schedules its own retry.
            next_attempt_at=None,
        )
        audit.record(actor, "webhook.test", tenant=tenant, target=endpoint, request=request)
    sender.attempt(delivery)
    return delivery
