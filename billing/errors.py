"""Billing's domain errors; every surface renders them as {"error": {"code", "message", "details"}}."""

from __future__ import annotations

from seedance_site.errors import DomainError


class InsufficientCredits(DomainError):
    """The tenant's available credits (balance - held) do not cover the hold."""

    code = "insufficient_credits"
    http_status = 402

    def __init__(self, required: int, available: int):
        super().__init__(
            f"Not enough credits: this generation needs {required} credits and {available} are available.",
            details={"required": required, "available": available},
        )


class KeySpendLimit(DomainError):
    """The API key's monthly credit cap would be passed.

    403, not 402: buying credits does not help; the key's cap must be raised (or the month end).
    """

    code = "key_spend_limit"
    http_status = 403

    def __init__(self, limit: int, spent: int, required: int):
        super().__init__(
            f"This API key may spend {limit} credits per month; it has spent or holds {spent} "
            f"this month and this generation needs {required} more.",
            details={"limit": limit, "spent": spent, "required": required},
        )


class AlreadySettled(DomainError):
    """Capture after release, or release after capture: the hold was settled the other way."""

    code = "already_settled"
    http_status = 409

    def __init__(self, generation_id: str, state: str):
        super().__init__(
            f"The credits of generation {generation_id} were already {state}.",
            details={"generation": generation_id, "state": state},
        )


class AlreadyHeld(DomainError):
    """A second hold for a generation that already has one."""

    code = "already_held"
    http_status = 409

    def __init__(self, generation_id: str):
        super().__init__(
            f"Credits are already held for generation {generation_id}.", details={"generation": generation_id}
        )


class InvalidAmount(DomainError):
    """A grant or adjustment with a bad amount or a missing note; `details` names the field."""

    code = "invalid_amount"
    http_status = 400

    def __init__(self, field: str, problem: str):
        super().__init__(f"{field}: {problem}", details={field: problem})


class PriceNotConfigured(DomainError):
    """No active price rule covers the spec's resolution (an operator must add one in admin)."""

    code = "price_not_configured"
    http_status = 422

    def __init__(self, resolution: str, provider: str):
        super().__init__(
            f"resolution: no active price for {resolution} on provider '{provider}'.",
            details={"resolution": f"no active price for {resolution} on provider '{provider}'."},
        )
