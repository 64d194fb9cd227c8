from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Tenant, TenantScopedQuerySet
from generations.webhooks.signing import new_secret

# Events a tenant endpoint may subscribe to; the first four are the default subscription.
EVENT_SUCCEEDED = "generation.succeeded"
EVENT_FAILED = "generation.failed"
EVENT_CANCELLED = "generation.cancelled"
EVENT_EXPIRED = "generation.expired"
EVENT_RUNNING = "generation.running"
TERMINAL_EVENTS = (EVENT_SUCCEEDED, EVENT_FAILED, EVENT_CANCELLED, EVENT_EXPIRED)
ALL_EVENTS = (*TERMINAL_EVENTS, EVENT_RUNNING)


def default_events() -> list[str]:
    return list(TERMINAL_EVENTS)


class WebhookEndpoint(models.Model):
    """A tenant's webhook: where its events go, and the secret every delivery is signed with.

    One per tenant. The row also exists without a URL, to hold the signing secret used for
    per-generation `callback_url` deliveries.
    """

    tenant = models.OneToOneField(Tenant, models.CASCADE, related_name="webhook_endpoint")
    url = models.URLField(max_length=2000, blank=True, default="")
    secret = models.CharField(max_length=100, default=new_secret)
    events = models.JSONField(default=default_events)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True, default="")
    # Failed attempts in a row, and when the run began; any success resets both.
    consecutive_failures = models.PositiveIntegerField(default=0)
    failing_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = models.Manager.from_queryset(TenantScopedQuerySet)()

    def __str__(self) -> str:
        return f"{self.tenant}: {self.url or '(no URL)'}"

    @property
    def is_enabled(self) -> bool:
        return self.disabled_at is None

    def wants(self, event: str) -> bool:
        return bool(self.url) and self.is_enabled and event in self.events

    @property
    def secret_hint(self) -> str:
        return f"whsec_…{self.secret[-4:]}"


class DeliveryQuerySet(TenantScopedQuerySet):
    def due(self, now=None):
        return self.filter(state=WebhookDelivery.State.PENDING, next_attempt_at__lte=now or timezone.now())


class WebhookDelivery(models.Model):
    """One message to one URL: the outbox row before it is sent, and its log after.

    Written in the same transaction as the state change it reports (generations.webhooks.outbox),
    sent by the worker (generations.webhooks.delivery). `body` is stored as the exact text that is
    signed and sent, so every retry sends the same bytes under the same `webhook_id`.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    class Target(models.TextChoices):
        ENDPOINT = "endpoint", "Tenant endpoint"
        CALLBACK = "callback", "Generation callback_url"
        KIE = "kie", "Kie callBackUrl"

    tenant = models.ForeignKey(Tenant, models.CASCADE, related_name="webhook_deliveries")
    endpoint = models.ForeignKey(
        WebhookEndpoint, models.SET_NULL, null=True, blank=True, related_name="deliveries"
    )
    generation = models.ForeignKey(
        "generations.Generation", models.CASCADE, null=True, blank=True, related_name="webhook_deliveries"
    )
    target = models.CharField(max_length=10, choices=Target.choices)
    url = models.URLField(max_length=2000)
    event_type = models.CharField(max_length=40)
    # The Standard Webhooks message id; a manual redelivery keeps it, so receivers can dedupe.
    webhook_id = models.CharField(max_length=40, db_index=True)
    body = models.TextField()
    redelivery_of = models.ForeignKey("self", models.SET_NULL, null=True, blank=True, related_name="+")

    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True, default="")
    error = models.CharField(max_length=500, blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = models.Manager.from_queryset(DeliveryQuerySet)()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The delivery log in the API and portal: a tenant's deliveries, newest first.
            models.Index(fields=["tenant", "-created_at"], name="webhooks_delivery_recent"),
            # Used by tasks.sweep_deliveries(): only pending rows are scanned for due attempts.
            models.Index(
                fields=["next_attempt_at"], name="webhooks_delivery_due", condition=Q(state="pending")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.url} ({self.state})"
