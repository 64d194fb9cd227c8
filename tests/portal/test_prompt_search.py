"""Prompt search ("every word, any order", shared by the admin and History) is served by the
trigram index on PostgreSQL, and stays within the tenant in History."""

from __future__ import annotations

import pytest
from django.db import connection

from generations.models import Generation
from tests.conftest import postgres_only
from tests.factories import make_generation

pytestmark = pytest.mark.django_db

INDEX = "generations_prompt_trgm"


@pytest.mark.postgres
@postgres_only
def test_the_trigram_index_exists_and_serves_the_word_search(tenant):
    for n in range(200):
        make_generation(tenant, prompt=f"A cat yawning at the camera, take {n}")
    wanted = make_generation(tenant, prompt="A corgi surfing a small wave")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [INDEX])
        [(definition,)] = cursor.fetchall()
        assert "gin (upper(prompt) gin_trgm_ops)" in definition
        cursor.execute("ANALYZE generations_generation")
        # A 200-row table is read whole faster than through any index; forbid that to see
        # whether the index can serve the query the ORM writes (at scale it is chosen freely:
        # docs/performance.md, "Search").
        cursor.execute("SET LOCAL enable_seqscan = off")
    found = Generation.objects.search_prompt("WAVE corgi").order_by()

    plan = found.explain()

    assert INDEX in plan, plan
    assert list(found) == [wanted]


def test_history_search_never_shows_another_teams_prompt(as_bob, tenant, other_tenant):
    ours = make_generation(tenant, prompt="A corgi surfing a small wave")
    theirs = make_generation(other_tenant, prompt="A corgi riding a wave at dusk")

    page = as_bob.get("/generations/", {"q": "corgi wave"}).content.decode()

    assert f'data-generation="{ours.id}"' in page
    assert theirs.id not in page
