from datetime import timedelta

import pytest
from django.utils import timezone

from billing.models import PriceRule
from generations.models import Generation, Status
from seedance_site.prepared_insert import insert
from tests.factories import make_api_key, make_user, new_generation

pytestmark = pytest.mark.django_db


def every_column(generation: Generation) -> dict:
    row = Generation.objects.filter(pk=generation.pk).values().get()
    # Unique per row by design; everything else must match.
    return {k: v for k, v in row.items() if k not in ("id", "callback_token")}


def test_it_writes_the_row_that_save_writes(tenant, time_machine):
    time_machine.move_to("2026-06-01 12:00:00+00:00", tick=False)
    key, _ = make_api_key(tenant)
    fields = {
        "created_by_key": key,
        "created_by_user": make_user("maker@example.com"),
        "prompt": "Neon city rain, 4 s",
        "first_frame": "data:image/png;base64,AAAA",
        "seed": 2**32 - 1,
        "generate_audio": True,
        "duration": -1,
        "quoted": 96,
        "held": 96,
        "hold_state": "held",
        "status": Status.AWAITING_REVIEW,
        "provider_payload": {"nested": ["json", 1, None, True], "ünïcode": "✓"},
        "next_poll_at": timezone.now(),
        "deadline": timezone.now() + timedelta(hours=48),
    }
    saved, inserted = new_generation(tenant, **fields), new_generation(tenant, **fields)

    saved.save(force_insert=True)
    insert(inserted)

    assert every_column(inserted) == every_column(saved)
    assert every_column(inserted)["updated_at"] == timezone.now()  # auto_now, as save() sets it
    assert not inserted._state.adding  # a saved instance: save() now updates, never re-inserts
    inserted.prompt = "changed"
    inserted.save()
    assert Generation.objects.get(pk=inserted.pk).prompt == "changed"


def test_it_refuses_models_whose_saves_send_signals_to_receivers():
    # Price rules refresh the process's cached copy from a post_save receiver.
    with pytest.raises(TypeError, match="signal receivers"):
        insert(PriceRule(resolution="720p", millicredits_per_second=1234))
    assert not PriceRule.objects.filter(millicredits_per_second=1234).exists()
