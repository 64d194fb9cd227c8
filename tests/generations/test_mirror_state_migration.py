"""generations 0009 fills mirror_state, files_purged_at and result_at/result_source from the
events the results code used to query, and writes those events back when migrated back."""

import pytest
from django.utils import timezone

from tests.migrations import migrate, migrated_to

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("generations", "0008_mirror_state_and_changes")]
AFTER = [("generations", "0009_fill_mirror_state")]


@pytest.fixture
def before():
    yield from migrated_to(BEFORE)


def test_the_fields_are_filled_from_the_events_and_the_events_come_back(before):
    apps = before
    Tenant = apps.get_model("accounts", "Tenant")
    Generation = apps.get_model("generations", "Generation")
    Event = apps.get_model("generations", "GenerationEvent")
    tenant = Tenant.objects.create(name="Old", slug="old")
    finished = timezone.now()

    def job(pk, **fields):
        return Generation.objects.create(
            id=pk, tenant=tenant, provider="sandbox", prompt=pk, callback_token=pk, status="succeeded",
            video_url="https://cdn.example/v.mp4", finished_at=finished, **fields,
        )  # fmt: skip

    copied = job("gen_copied", video_file="results/copied.mp4")
    gone = job("gen_gone")
    Event.objects.create(
        generation=gone, kind="note", message="gone", data={"mirror": "gone", "kind": "video"}
    )
    purged = job("gen_purged")
    Event.objects.create(
        generation=purged, kind="note", message="mirrored", data={"mirror": "stored", "kind": "video"}
    )
    Event.objects.create(generation=purged, kind="note", message="deleted", data={"retention": "deleted"})
    job("gen_waiting")
    Event.objects.create(
        generation=copied,
        kind="state",
        message="→",
        data={"from": "running", "to": "succeeded", "source": "callback"},
    )

    apps = migrate(AFTER)

    Generation = apps.get_model("generations", "Generation")
    rows = {g.id: g for g in Generation.objects.all()}
    assert rows["gen_copied"].mirror_state == "copied"
    assert (rows["gen_copied"].result_at, rows["gen_copied"].result_source) == (finished, "callback")
    assert rows["gen_gone"].mirror_state == "failed"
    assert rows["gen_purged"].mirror_state == "copied"
    assert rows["gen_purged"].files_purged_at is not None
    assert rows["gen_waiting"].mirror_state == "copying"  # the outbox worker copies it now
    Change = apps.get_model("generations", "GenerationChange")
    assert list(Change.objects.values_list("generation_id", "to_stage")) == [("gen_waiting", "finishing")]

    # Rows made after the migration have no events; going back writes them.
    Generation.objects.create(
        id="gen_new", tenant_id=tenant.pk, provider="sandbox", prompt="new", callback_token="new",
        status="succeeded", video_file="results/new.mp4", mirror_state="copied", finished_at=finished,
    )  # fmt: skip

    apps = migrate(BEFORE)

    Event = apps.get_model("generations", "GenerationEvent")
    assert Event.objects.filter(generation_id="gen_new", data__mirror="stored", data__kind="video").exists()
    assert Event.objects.filter(generation_id="gen_copied", data__mirror="stored").exists()
    assert Event.objects.filter(generation_id="gen_gone", data__mirror="gone").count() == 1  # not doubled
