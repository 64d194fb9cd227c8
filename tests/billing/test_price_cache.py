"""Price rules are read from a process-local copy: an edit shows at once in the process that
made it, and within the TTL in every other process."""

import pytest

from billing.models import PriceRule
from generations.pricing import quote
from generations.spec import GenerationSpec
from seedance_site import table_cache

pytestmark = pytest.mark.django_db

SPEC = GenerationSpec(prompt="A cat yawning", resolution="720p", duration=4)


@pytest.fixture
def clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(table_cache.time, "monotonic", lambda: now[0])
    return now


def test_an_edit_in_this_process_applies_to_the_next_quote(clock):
    before = quote(SPEC, "auto").credits
    rule = PriceRule.objects.get(
        active=True, resolution="720p", provider="", model="seedance-1.5-pro", service_tier="default"
    )
    rule.millicredits_per_second *= 2
    rule.save()
    assert quote(SPEC, "auto").credits == 2 * before


def test_an_edit_made_by_another_process_applies_within_the_ttl(clock):
    before = quote(SPEC, "auto").credits
    # .update() sends no signal: as if another process had edited the row.
    PriceRule.objects.filter(active=True, resolution="720p", provider="").update(millicredits_per_second=1000)
    assert quote(SPEC, "auto").credits == before
    clock[0] += 31
    assert quote(SPEC, "auto").credits == 4
