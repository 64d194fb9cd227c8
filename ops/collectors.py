"""Gauges read from the database (and the queue broker) when /metrics is scraped."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db.models import Count, Min, Sum
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

log = logging.getLogger(__name__)


class StateCollector:
    """Jobs by state and provider, poll lag, queue depth, credits held."""

    def collect(self):
        from billing.models import CreditAccount
        from generations.models import TERMINAL, Generation

        now = timezone.now()
        yield _by_state_and_provider(
            "seedance_generations_open",
            "Generations not yet finished, by state and provider.",
            Generation.objects.exclude(status__in=TERMINAL),
        )
        yield _by_state_and_provider(
            "seedance_generations_finished_last_hour",
            "Generations that finished in the last hour, by final state and provider.",
            Generation.objects.filter(status__in=TERMINAL, finished_at__gte=now - timedelta(hours=1)),
        )

        oldest_due = (
            Generation.objects.exclude(status__in=TERMINAL)
            .filter(next_poll_at__lte=now)
            .aggregate(oldest=Min("next_poll_at"))["oldest"]
        )
        yield GaugeMetricFamily(
            "seedance_poll_lag_seconds",
            "How late the most overdue status poll or submission is (0 when none is due).",
            value=(now - oldest_due).total_seconds() if oldest_due else 0.0,
        )
        yield GaugeMetricFamily(
            "seedance_credits_held",
            "Credits reserved by unfinished generations, all tenants together.",
            value=CreditAccount.objects.aggregate(held=Sum("held"))["held"] or 0,
        )
        depth = _queue_depth()
        if depth is not None:
            yield GaugeMetricFamily(
                "seedance_queue_depth", "Tasks waiting in the django-q2 queue.", value=depth
            )


def _by_state_and_provider(name: str, documentation: str, generations) -> GaugeMetricFamily:
    gauge = GaugeMetricFamily(name, documentation, labels=["state", "provider"])
    rows = generations.values_list("status", "provider").annotate(n=Count("id")).order_by()
    for status, provider, n in rows:
        gauge.add_metric([status, provider or "none"], n)
    return gauge


def _queue_depth() -> int | None:
    from django_q.brokers import get_broker

    try:
        return get_broker().queue_size()
    except Exception:
        log.warning("queue depth unavailable", exc_info=True)
        return None
