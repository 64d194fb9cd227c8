"""Sending one webhook delivery: claim, sign, POST, record, and schedule the retry.

Policy (docs/webhooks.md):
- A 2xx answer is success. Anything else (3xx included: redirects are not followed for
  webhooks), a timeout or a connection error is a failed attempt, retried after
  WEBHOOK_RETRY_SCHEDULE[attempt - 1] seconds; after the last one the delivery is `failed`.
  A destination the outbound guard refuses fails at once (retrying cannot help).
- Each attempt is signed afresh with its own timestamp, the same webhook-id and the same body.
- Attempts are claimed with a conditional UPDATE that pushes `next_attempt_at` past the send
  timeout, so two workers (the on-commit task and the sweep) never send the same attempt, and
  an attempt lost to a crash is retried by the sweep once that lease runs out.
- The tenant endpoint counts failed attempts in a row; once there are
  WEBHOOK_DISABLE_AFTER_FAILURES of them over at least WEBHOOK_DISABLE_AFTER_HOURS it is
  disabled and its owners are emailed. Any success resets the count.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import httpx
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Membership, Role
from generations import outbound
from generations.webhooks.models import WebhookDelivery, WebhookEndpoint
from generations.webhooks.signing import headers as signed_headers
from seedance_site.errors import DomainError

log = logging.getLogger("generations.webhooks")

EXCERPT_BYTES = 1024


class EndpointDisabled(DomainError):
    code = "endpoint_disabled"
    http_status = 409


# Module attribute so tests can drive latency without sleeping.
monotonic = time.monotonic


def retry_delay(attempts: int) -> timedelta | None:
    """The wait after failed attempt number `attempts`, or None when no retry is left."""
    schedule = settings.WEBHOOK_RETRY_SCHEDULE
    if attempts > len(schedule):
        return None
    return timedelta(seconds=schedule[attempts - 1])


def _lease() -> timedelta:
    return timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS * 3 + 60)


def claim(delivery_id: int) -> bool:
    """Take the right to make the next attempt of a due delivery (one worker wins)."""
    now = timezone.now()
    return bool(
        WebhookDelivery.objects.due(now).filter(pk=delivery_id).update(next_attempt_at=now + _lease())
    )


def deliver(delivery_id: int) -> str:
    """django-q task: make the next attempt of one delivery if it is due. Returns a short outcome."""
    if not claim(delivery_id):
        return "not_due"
    delivery = WebhookDelivery.objects.select_related("endpoint", "generation").get(pk=delivery_id)
    endpoint = delivery.endpoint
    if (
        delivery.target == WebhookDelivery.Target.ENDPOINT
        and endpoint is not None
        and not endpoint.is_enabled
    ):
        _finish(delivery, WebhookDelivery.State.FAILED, error="The webhook endpoint is disabled.")
        return "endpoint_disabled"
    return attempt(delivery)


def attempt(delivery: WebhookDelivery) -> str:
    """POST the delivery once and record what happened."""
    secret = delivery.endpoint.secret if delivery.endpoint else ""
    timestamp = int(timezone.now().timestamp())
    hdrs = signed_headers(secret, delivery.webhook_id, timestamp, delivery.body)
    started = monotonic()
    status_code, excerpt, error = None, "", ""
    retryable = True
    try:
        with outbound.stream(
            "POST",
            delivery.url,
            headers=hdrs,
            content=delivery.body.encode(),
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
            follow_redirects=False,
        ) as response:
            status_code = response.status_code
            excerpt = outbound.read_limited(response, EXCERPT_BYTES).decode("utf-8", "replace")
    except outbound.OutboundRefused as exc:
        error, retryable = exc.message, False
    except outbound.OutboundError as exc:
        error, retryable = exc.message, exc.retryable
    except httpx.TimeoutException as exc:
        error = f"Timed out after {settings.WEBHOOK_TIMEOUT_SECONDS:g} s ({type(exc).__name__})."
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    latency_ms = int((monotonic() - started) * 1000)
    ok = status_code is not None and 200 <= status_code < 300
    if status_code is not None and not ok:
        error = f"HTTP {status_code}" + (" (redirects are not followed)" if 300 <= status_code < 400 else "")
    now = timezone.now()
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.status_code = status_code
    delivery.latency_ms = latency_ms
    delivery.response_excerpt = excerpt
    delivery.error = error[:500]
    if ok:
        delivery.state = WebhookDelivery.State.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        outcome = "delivered"
    else:
        delay = retry_delay(delivery.attempts) if retryable else None
        if delay is None:
            delivery.state = WebhookDelivery.State.FAILED
            delivery.next_attempt_at = None
            outcome = "failed"
        else:
            delivery.next_attempt_at = now + delay
            outcome = "retrying"
    delivery.save()
    if delivery.target == WebhookDelivery.Target.ENDPOINT and delivery.endpoint_id:
        record_endpoint_result(delivery.endpoint_id, ok)
    log.info("webhook %s to %s: %s (%s)", delivery.pk, delivery.url, outcome, error or status_code)
    return outcome


def _finish(delivery: WebhookDelivery, state: str, *, error: str) -> None:
    delivery.state = state
    delivery.error = error
    delivery.next_attempt_at = None
    delivery.save(update_fields=["state", "error", "next_attempt_at"])


def record_endpoint_result(endpoint_id: int, ok: bool) -> None:
    """Count the endpoint's failures in a row; disable it after a long run of them."""
    now = timezone.now()
    if ok:
        WebhookEndpoint.objects.filter(pk=endpoint_id).update(consecutive_failures=0, failing_since=None)
        return
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
        endpoint.consecutive_failures = F("consecutive_failures") + 1
        endpoint.failing_since = endpoint.failing_since or now
        endpoint.save(update_fields=["consecutive_failures", "failing_since"])
        endpoint.refresh_from_db()
        long_enough = now - endpoint.failing_since >= timedelta(hours=settings.WEBHOOK_DISABLE_AFTER_HOURS)
        if not endpoint.is_enabled or endpoint.consecutive_failures < settings.WEBHOOK_DISABLE_AFTER_FAILURES:
            return
        if not long_enough:
            return
        endpoint.disabled_at = now
        endpoint.disabled_reason = (
            f"{endpoint.consecutive_failures} failed attempts in a row since "
            f"{endpoint.failing_since:%Y-%m-%d %H:%M} UTC."
        )
        endpoint.save(update_fields=["disabled_at", "disabled_reason"])
        transaction.on_commit(lambda: notify_disabled(endpoint))


def notify_disabled(endpoint: WebhookEndpoint) -> None:
    owners = Membership.objects.for_tenant(endpoint.tenant).filter(role=Role.OWNER).select_related("user")
    recipients = [ms.user.email for ms in owners]
    if not recipients:
        return
    send_mail(
        subject=f"Webhook endpoint disabled for {endpoint.tenant.name}",
        message=(
            f"We stopped sending webhooks to {endpoint.url} because it kept failing: "
            f"{endpoint.disabled_reason}\n\n"
            f"Fix the endpoint, then re-enable it on {settings.SITE_URL}/webhooks/ (or PUT /api/v1/webhook "
            'with "enabled": true). Failed deliveries can be sent again from the delivery log.'
        ),
        from_email=None,
        recipient_list=recipients,
    )


def redeliver(delivery: WebhookDelivery) -> WebhookDelivery:
    """A new attempt series for an old delivery: same webhook-id and body, sent at once.

    An endpoint delivery goes to the endpoint's current URL (the customer may have fixed it).
    """
    url = delivery.url
    if delivery.target == WebhookDelivery.Target.ENDPOINT and delivery.endpoint:
        if not delivery.endpoint.is_enabled:
            raise EndpointDisabled("The webhook endpoint is disabled: re-enable it before redelivering.")
        url = delivery.endpoint.url or url
    copy = WebhookDelivery.objects.create(
        tenant_id=delivery.tenant_id,
        endpoint=delivery.endpoint,
        generation=delivery.generation,
        target=delivery.target,
        url=url,
        event_type=delivery.event_type,
        webhook_id=delivery.webhook_id,
        body=delivery.body,
        redelivery_of=delivery,
    )
    from generations.webhooks.outbox import enqueue

    transaction.on_commit(lambda: enqueue([copy.pk]))
    return copy
