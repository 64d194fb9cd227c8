from __future__ import annotations

from django.db import models
from django.utils import timezone

from accounts.models import Tenant, TenantScopedQuerySet


class IdempotencyRecord(models.Model):
    """The first successful answer to a create call made with an `Idempotency-Key` header.

    A replay with the same key and the same body gets this exact answer back; a replay with
    another body gets 409. Only successful creates are recorded, so a request refused for a
    reason the caller can fix (no credits, bad input) may be retried with the same key.
    """

    tenant = models.ForeignKey(Tenant, models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # SHA-256 of the canonical JSON of the request body: "same body" means same parameters,
    # whatever the whitespace or key order.
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    # The answer's JSON exactly as first sent: a replay repeats it byte for byte (a JSON column
    # would not: PostgreSQL's jsonb reorders keys).
    response_body = models.TextField()
    generation = models.ForeignKey(
        "generations.Generation", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = models.Manager.from_queryset(TenantScopedQuerySet)()

    class Meta:
        constraints = [
            # Concurrent duplicates: the second INSERT waits for the first transaction and then
            # fails, so exactly one generation is created (generations.api.idempotency).
            models.UniqueConstraint(fields=["tenant", "key"], name="api_idempotency_once_per_key"),
        ]
        indexes = [
            # Used by idempotency.prune(): old records are deleted by age.
            models.Index(fields=["created_at"], name="api_idempotency_created"),
        ]

    def __str__(self) -> str:
        return f"{self.key} → {self.response_status}"


class KieTask(models.Model):
    """What a Kie-compatible createTask call asked for beyond the generation itself.

    The Kie taskId is the generation id. `callback_url` is Kie's `callBackUrl`: it gets a
    Kie-shaped body (generations.api.kie.kie_callback_body) when the job ends, which is not
    the generation JSON that `Generation.callback_url` receives, so it is kept apart.
    """

    generation = models.OneToOneField(
        "generations.Generation", models.CASCADE, primary_key=True, related_name="kie_task"
    )
    model = models.CharField(max_length=100)
    callback_url = models.URLField(max_length=2000, blank=True, default="")
    # Kie echoes the original request back as a JSON string in `data.param`.
    param = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"kie task {self.generation_id}"
