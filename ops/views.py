"""/metrics (Prometheus text format, bearer METRICS_TOKEN) and /readyz."""

from __future__ import annotations

import hmac
import os

import prometheus_client
from django.conf import settings
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import multiprocess

from ops import metrics as _instruments  # noqa: F401 - registers our histograms and counters
from ops.collectors import StateCollector
from ops.readiness import readyz  # noqa: F401 - routed from here with /metrics

_STATE = StateCollector()


@require_GET
def metrics(request):
    """Everything this host's processes counted, plus the database-wide gauges.

    Off (404) without METRICS_TOKEN; with it, 401 unless `Authorization: Bearer <token>`.
    """
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404("Metrics are off: set METRICS_TOKEN.")
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), token.encode()):
        response = HttpResponse("Unauthorized: send Authorization: Bearer <METRICS_TOKEN>.\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = prometheus_client.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = prometheus_client.CollectorRegistry()
        registry.register(_ProcessRegistry())
    registry.register(_STATE)
    return HttpResponse(
        prometheus_client.generate_latest(registry), content_type=prometheus_client.CONTENT_TYPE_LATEST
    )


class _ProcessRegistry:
    """This process's own metrics (the default registry), for a registry of our own."""

    def collect(self):
        yield from prometheus_client.REGISTRY.collect()
