"""Prometheus metrics: what the processes observe, and the state read from the database.

Instruments here are updated where things happen (provider calls, mirroring, callbacks). With
PROMETHEUS_MULTIPROC_DIR set (deploy/run sets it per host), every gunicorn and django-q2
process of the host writes to it and /metrics on that host sums them all.

The gauges about jobs, the queue and credits are read from the database at scrape time
(ops.collectors), so they agree whichever host is scraped.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

PROVIDER_CALL_SECONDS = Histogram(
    "seedance_provider_call_seconds",
    "Provider API calls: time until the answer (or the failure), by provider and outcome.",
    ["provider", "outcome"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),
)
PROVIDER_CALL_ERRORS = Counter(
    "seedance_provider_call_errors_total",
    "Provider API calls that ended without a usable answer, by provider and error code.",
    ["provider", "code"],
)
CALLBACK_TO_VISIBLE_SECONDS = Histogram(
    "seedance_callback_to_visible_seconds",
    "From a provider callback's arrival to the new state being visible to the customer.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
)
MIRROR_BYTES = Counter(
    "seedance_mirror_bytes_total", "Bytes copied from providers into our storage, by kind.", ["kind"]
)
MIRROR_FAILURES = Counter(
    "seedance_mirror_failures_total",
    "Mirror attempts that did not store the file, by kind and outcome (retrying, gone, refused, gave_up).",
    ["kind", "outcome"],
)
