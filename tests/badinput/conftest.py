"""Bad input: random, huge, mistyped and broken bodies are 4xx, never 5xx, and write nothing."""

from __future__ import annotations

import pytest
from django.db.models import Model
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from billing.models import CreditAccount, LedgerEntry
from generations.models import Generation, GenerationEvent

# Function-scoped fixtures (tenant, key) are shared by the examples on purpose: each example
# checks its own before/after snapshot.
fuzz = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40)
JSON = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = ["prompt", "provider", "aspect_ratio", "resolution", "duration", "generate_audio", "camera_fixed",
          "seed", "watermark", "first_frame", "last_frame", "callback_url"]  # fmt: skip
# Objects with the API's own field names and random values: they get past "unknown field".
NEAR_MISS = st.dictionaries(st.sampled_from(FIELDS), JSON, min_size=1)
UNICODE_PROMPT = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"]), min_size=0, max_size=2600
)  # includes RTL, emoji, NUL and control characters


def snapshot() -> dict[str, int]:
    models: list[type[Model]] = [Generation, GenerationEvent, LedgerEntry]
    counts = {model.__name__: model.objects.count() for model in models}
    counts["held"] = sum(CreditAccount.objects.values_list("held", flat=True))
    from django_q.models import OrmQ

    counts["queued tasks"] = OrmQ.objects.count()
    return counts


@pytest.fixture(autouse=True)
def _no_throttling(settings):
    settings.API_THROTTLE_KEY = "1000000/min"
    settings.API_THROTTLE_TENANT = "1000000/min"
