"""Which provider runs a job: `auto`, `cheapest`, `fastest`, or one named by the customer.

- `auto`: the first capable provider in PROVIDER_ORDER.
- `cheapest`: the capable provider our price rules make cheapest for the spec (ties: the order).
- `fastest`: the capable provider with the shortest median completion time (created to
  finished) of its recent successful jobs at the spec's resolution; providers with no such jobs
  come after those with some, in the order.

The three modes skip a provider whose circuit breaker is open (generations.providers.health),
unless every capable provider is skipped, in which case they choose among all of them rather
than refuse the job. A named provider is never skipped. Nothing here calls a provider.
"""

from __future__ import annotations

import statistics
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from billing.errors import PriceNotConfigured
from generations import pricing, providers
from generations.models import Generation, Status
from generations.providers import Adapter, health
from generations.spec import GenerationSpec

AUTO, CHEAPEST, FASTEST = "auto", "cheapest", "fastest"
MODES = (AUTO, CHEAPEST, FASTEST)
# Completion times of at most this many recent jobs make a median; stats are cached this long.
STATS_SAMPLE = 100
STATS_CACHE_SECONDS = 60
# The spec GET /api/v1/providers prices on every provider.
REFERENCE_SPEC = GenerationSpec(prompt="reference", resolution="720p", duration=8)


def choose(spec: GenerationSpec, requested: str | None = AUTO) -> Adapter:
    """The adapter for `spec`; SpecError/UnknownProvider (422) naming every problem otherwise."""
    if requested not in MODES:
        return providers.choose(spec, requested)
    if requested == AUTO:
        # The hot path: the first healthy capable provider, without checking the ones after it.
        spec.check()
        enabled = providers.enabled_adapters()
        skipped = health.open_slugs([a.slug for a in enabled])
        for adapter in enabled:
            if adapter.slug not in skipped and not adapter.capabilities.problems(spec):
                return adapter
        return providers.capable(spec)[0]  # every capable one is skipped: take the first anyway
    candidates = providers.capable(spec)
    skipped = health.open_slugs([a.slug for a in candidates])
    healthy = [a for a in candidates if a.slug not in skipped] or candidates
    if requested == CHEAPEST:
        priced = [(price, a) for a in healthy if (price := _price(spec, a.slug)) is not None]
        return min(priced, key=lambda pair: pair[0])[1] if priced else healthy[0]
    order = {a.slug: i for i, a in enumerate(healthy)}  # FASTEST
    medians = {a.slug: median_seconds(a.slug, spec.resolution) for a in healthy}
    return min(
        healthy,
        key=lambda a: (medians[a.slug] is None, medians[a.slug] or 0, order[a.slug]),
    )


def _price(spec: GenerationSpec, slug: str) -> int | None:
    try:
        return pricing.quote(spec, slug).credits
    except PriceNotConfigured:
        return None


def _recent(slug: str):
    since = timezone.now() - timedelta(days=settings.PROVIDER_STATS_DAYS)
    return Generation.objects.filter(provider=slug, finished_at__gte=since)


def median_seconds(slug: str, resolution: str | None = None) -> float | None:
    """Median seconds from creation to success of the provider's recent jobs (at `resolution`)."""
    key = f"provider-stats:median:{slug}:{resolution or '*'}"
    cached = cache.get(key)
    if cached is not None:
        return cached["median"]
    jobs = _recent(slug).filter(status=Status.SUCCEEDED)
    if resolution:
        jobs = jobs.filter(resolution=resolution)
    times = [
        (finished - created).total_seconds()
        for created, finished in jobs.order_by("-finished_at").values_list("created_at", "finished_at")[
            :STATS_SAMPLE
        ]
    ]
    value = round(statistics.median(times), 1) if times else None
    cache.set(key, {"median": value}, STATS_CACHE_SECONDS)
    return value


def success_rate(slug: str) -> float | None:
    """Share of the provider's recent finished jobs that succeeded (cancelled ones left out)."""
    ended = list(
        _recent(slug)
        .filter(status__in=[Status.SUCCEEDED, Status.FAILED, Status.EXPIRED])
        .order_by("-finished_at")
        .values_list("status", flat=True)[: STATS_SAMPLE * 2]
    )
    if not ended:
        return None
    return round(ended.count(Status.SUCCEEDED) / len(ended), 3)


def overview() -> list[dict]:
    """Each enabled provider: capabilities, reference price, recent speed and success, health."""
    rows = []
    for adapter in providers.enabled_adapters():
        rows.append(
            {
                "slug": adapter.slug,
                "capabilities": adapter.capabilities.as_dict(),
                "reference_price": {
                    "spec": {"resolution": "720p", "duration": 8, "generate_audio": False},
                    "credits": _price(REFERENCE_SPEC, adapter.slug)
                    if not adapter.capabilities.problems(REFERENCE_SPEC)
                    else None,
                },
                "median_seconds": median_seconds(adapter.slug),
                "success_rate": success_rate(adapter.slug),
                "health": health.status(adapter.slug),
            }
        )
    return rows
