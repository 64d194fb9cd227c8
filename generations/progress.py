"""Waiting figures for a job that has not finished: how long it has run, how long jobs like it
usually take, and its place in line while the team's in-flight cap holds it back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from statistics import median

from django.conf import settings
from django.utils import timezone

from generations.models import Generation, Status

# "Jobs like it": the team's own recent successes with the same provider and resolution.
RECENT = timedelta(days=14)
SAMPLE = 50
MIN_SAMPLE = 3


@dataclass(frozen=True)
class Waiting:
    elapsed: float  # seconds since it was created
    expected: float | None  # median creation-to-finish time of similar recent jobs
    position: int | None  # 1 = next to start, while held by the in-flight cap
    busy: int | None
    cap: int | None


def waiting(generation: Generation) -> Waiting | None:
    if generation.is_terminal:
        return None
    position = busy = cap = None
    if generation.status == Status.PENDING and generation.submission_started_at is None:
        position, busy, cap = _place_in_line(generation)
    return Waiting(
        elapsed=(timezone.now() - generation.created_at).total_seconds(),
        expected=expected_seconds(generation),
        position=position,
        busy=busy,
        cap=cap,
    )


def expected_seconds(generation: Generation) -> float | None:
    """Median time from creation to finish of the team's last successes with the same provider
    and resolution (two weeks at most, through the tenant's recent-jobs index); None with fewer
    than three."""
    finished = (
        Generation.objects.for_tenant(generation.tenant_id)
        .filter(
            created_at__gte=timezone.now() - RECENT,
            status=Status.SUCCEEDED,
            provider=generation.provider,
            resolution=generation.resolution,
            finished_at__isnull=False,
        )
        .values_list("created_at", "finished_at")[:SAMPLE]
    )
    times = [(end - start).total_seconds() for start, end in finished]
    return median(times) if len(times) >= MIN_SAMPLE else None


def _place_in_line(generation: Generation) -> tuple[int | None, int | None, int | None]:
    """(position, busy, cap) when the team's in-flight cap is full, else Nones: the job is not
    held back, it is just about to be sent."""
    tenant = generation.tenant
    cap = tenant.max_in_flight or settings.TENANT_MAX_IN_FLIGHT
    jobs = Generation.objects.for_tenant(tenant)
    busy = jobs.occupying_slots().count()
    if busy < cap:
        return None, None, None
    ahead = jobs.filter(
        status=Status.PENDING, submission_started_at__isnull=True, created_at__lt=generation.created_at
    ).count()
    return ahead + 1, busy, cap
