"""The price of a spec on a provider, from billing's price rules.

Billing prices seconds of a model at a resolution and tier; this module says how many seconds
a spec bills: its duration, or for an auto duration the most the provider may choose.
"""

from __future__ import annotations

from billing import services as billing
from billing.services import AUTO_PROVIDER, Quote
from generations.spec import MAX_DURATION, GenerationSpec


def quote(spec: GenerationSpec, provider_slug: str) -> Quote:
    """Price `spec` on `provider_slug` ("auto" uses the generic rules).

    Raises PriceNotConfigured when no active rule covers the model, tier and resolution.
    """
    return billing.price(
        provider_slug,
        model=spec.model,
        resolution=spec.resolution,
        tier=spec.service_tier or "default",
        seconds=_billable_seconds(spec, provider_slug),
        audio=bool(spec.generate_audio),
    )


def _billable_seconds(spec: GenerationSpec, provider_slug: str) -> int:
    if not spec.is_auto_duration:
        return spec.duration
    # The provider picks the duration later, so hold for the longest it may choose; capture
    # charges the real duration and releases the rest.
    if provider_slug == AUTO_PROVIDER:
        return MAX_DURATION
    from generations.providers import get_adapter  # imported late: the registry reads settings

    return get_adapter(provider_slug).capabilities.max_duration
