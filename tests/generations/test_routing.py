"""Routing: auto, cheapest and fastest; a circuit breaker that skips a failing provider for a while."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from django.utils import timezone

from billing.models import PriceRule
from generations import routing
from generations.models import Generation, Status
from generations.providers import health
from generations.sandbox.testing import harness
from generations.spec import GenerationSpec
from generations.tasks import submit_generation
from tests.factories import make_generation

SPEC = GenerationSpec(prompt="A cat yawning at the camera")


@pytest.fixture
def ordered(sandbox, settings):
    settings.PROVIDER_ORDER = ["kie", "apikley", "ark", "jiekou"]
    settings.KKIAI_ENABLED = settings.AIZFW_ENABLED = False
    settings.SANDBOX_ENABLED = False  # only the four above
    return settings


def test_auto_takes_the_first_capable_provider_in_the_order(ordered):
    assert routing.choose(SPEC, "auto").slug == "kie"
    assert routing.choose(GenerationSpec(prompt="A cat", aspect_ratio="adaptive"), "auto").slug == "ark"


def test_cheapest_picks_the_provider_our_price_rules_make_cheapest(ordered):
    PriceRule.objects.create(provider="jiekou", resolution="720p", millicredits_per_second=1500)
    PriceRule.objects.create(provider="ark", resolution="720p", millicredits_per_second=2500)
    assert routing.choose(SPEC, "cheapest").slug == "jiekou"
    # flex halves JieKou's price only where a rule says so; with none for jiekou, the generic one.
    assert routing.choose(GenerationSpec(prompt="A cat", service_tier="flex"), "cheapest").slug == "jiekou"


def test_cheapest_keeps_the_order_on_a_tie(ordered):
    assert routing.choose(SPEC, "cheapest").slug == "kie"


def test_fastest_picks_the_shortest_median_at_the_resolution(ordered, tenant):
    now = timezone.now()
    for slug, minutes in [("kie", 9), ("kie", 11), ("ark", 3), ("ark", 5), ("jiekou", 1)]:
        make_generation(
            tenant,
            provider=slug,
            status=Status.SUCCEEDED,
            resolution="720p" if slug != "jiekou" else "480p",
            created_at=now - timedelta(minutes=minutes),
            finished_at=now,
        )
    assert routing.choose(SPEC, "fastest").slug == "ark"  # jiekou's fast job was 480p
    assert routing.median_seconds("ark", "720p") == 240.0


def test_providers_without_history_come_after_those_with_some(ordered, tenant):
    make_generation(tenant, provider="jiekou", status=Status.SUCCEEDED, finished_at=timezone.now())
    assert routing.choose(SPEC, "fastest").slug == "jiekou"


def test_a_named_provider_is_used_as_asked(ordered):
    for _ in range(5):
        health.record("apikley", ok=False)
    assert routing.choose(SPEC, "apikley").slug == "apikley"


# --- The circuit breaker, through real create calls --------------------------------------------


@pytest.fixture
def kie_down(settings, funded, db):
    """kie answers every create with a 500; the others are the sandbox."""
    mounts = {"http://kie-down.test": httpx.MockTransport(lambda request: httpx.Response(500, json={}))}
    with harness(settings, mounts=mounts) as h:
        settings.KIE_BASE_URL = "http://kie-down.test"
        settings.PROVIDER_ORDER = ["kie", "ark"]
        settings.PROVIDER_HTTP_MAX_ATTEMPTS = 1
        yield h


def _create(api_client):
    response = api_client.post("/api/v1/generations", {"prompt": "A cat yawning"}, format="json")
    assert response.status_code == 201
    return Generation.objects.get(pk=response.json()["id"])


def test_a_failing_provider_is_skipped_after_a_few_failures_and_tried_again_after_the_cool_down(
    api_client, kie_down, settings, time_machine
):
    settings.PROVIDER_BREAKER_MIN_CALLS = 3
    first_jobs = [_create(api_client) for _ in range(3)]
    assert {job.provider for job in first_jobs} == {"kie"}
    for job in first_jobs:
        submit_generation(job.id)  # 500 each time

    assert health.is_open("kie")
    assert _create(api_client).provider == "ark"  # skipped while it cools down
    overview = {row["slug"]: row for row in routing.overview()}
    assert overview["kie"]["health"]["skipped"] is True

    time_machine.move_to(timezone.now() + timedelta(seconds=settings.PROVIDER_BREAKER_COOLDOWN_SECONDS + 1))
    assert not health.is_open("kie")
    assert _create(api_client).provider == "kie"  # back by itself


def test_failover_skips_an_open_provider(ordered):
    for _ in range(3):
        health.record("apikley", ok=False)
    assert [a.slug for a in routing.providers.failover_candidates(SPEC, after_slug="kie")] == [
        "ark",
        "jiekou",
    ]


def test_a_provider_that_mostly_works_stays_in(ordered):
    for ok in [True, False, True, True, False, True]:
        health.record("kie", ok=ok)
    assert not health.is_open("kie")


def test_a_breaker_opened_by_another_process_is_seen_within_the_refresh(ordered, monkeypatch):
    import time

    from django.core.cache import cache

    clock = [1000.0]
    monkeypatch.setattr(health.time, "monotonic", lambda: clock[0])
    assert routing.choose(SPEC, "auto").slug == "kie"
    # Another worker opens kie's breaker: only the shared cache changes.
    cache.set(f"{health.PREFIX}kie", {"calls": [], "open_until": time.time() + 60})
    clock[0] += health.REFRESH_SECONDS + 0.1
    assert routing.choose(SPEC, "auto").slug == "apikley"
