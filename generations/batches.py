"""A batch: N generations of one spec, held together or not at all.

Each job is a normal generation (services.create_generation: its own row, its own hold and
settlement); the batch only puts the N creates in one transaction, so a refusal of any of them
(most often: the credits cover fewer than N) rolls every one of them back.
"""

from __future__ import annotations

from django.db import transaction

from accounts.models import Tenant
from billing import services as billing
from billing.errors import InsufficientCredits
from generations import services
from generations.models import Generation
from generations.spec import GenerationSpec


class BatchInsufficientCredits(InsufficientCredits):
    """The batch's total is more than the team's available credits; nothing was held."""

    def __init__(self, count: int, unit: int, available: int):
        super().__init__(count * unit, available)
        self.message = (
            f"Not enough credits: {count} videos need {count * unit} credits "
            f"({count} × {unit}) and {available} are available. Nothing was started."
        )
        self.details = {**self.details, "count": count, "unit": unit}


def create_batch(
    tenant: Tenant, *, spec: GenerationSpec, provider: str, count: int, user=None
) -> list[Generation]:
    """`count` generations of `spec`, all held, or none (the refusal of the first that fails)."""
    try:
        with transaction.atomic():
            return [
                services.create_generation(tenant, spec=spec, provider=provider, user=user)
                for _ in range(count)
            ]
    except InsufficientCredits as error:
        if count == 1:
            raise
        # Rolled back: the balance is as before the batch.
        available = billing.balance(tenant).available
        raise BatchInsufficientCredits(count, error.details["required"], available) from None
