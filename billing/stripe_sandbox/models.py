"""The payment sandbox's memory: Stripe objects it created, as the JSON Stripe would return."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class SandboxStripeObject(models.Model):
    """One object of the pretend Stripe account (checkout.session, payment_intent, charge, ...)."""

    id = models.CharField(max_length=64, primary_key=True)
    object = models.CharField(max_length=40)
    data = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.id
