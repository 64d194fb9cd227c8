"""Mirror, purge and result state move from the timeline's event data onto the generation.

Forward: `mirror_state`, `files_purged_at`, `result_at` and `result_source` are filled from the
events the results code used to query; a success whose copy was still to be made gets a change
row, so the outbox worker copies it. Back: the events are written again where a row's state
has none (rows made after this migration), and jobs that were finishing are due for a poll,
which is how the older code learns that they succeeded.
"""

from django.db import migrations
from django.utils import timezone

FINAL_FAILURES = ["gone", "refused", "gave_up"]


def fill(apps, schema_editor):
    Generation = apps.get_model("generations", "Generation")
    Event = apps.get_model("generations", "GenerationEvent")
    Change = apps.get_model("generations", "GenerationChange")
    Generation.objects.exclude(video_file="").update(mirror_state="copied")
    failed = Event.objects.filter(
        kind="note", data__mirror__in=FINAL_FAILURES, data__kind="video"
    ).values("generation_id")
    Generation.objects.filter(pk__in=failed, mirror_state="").update(mirror_state="failed")
    for event in Event.objects.filter(data__retention="deleted").order_by("at"):
        Generation.objects.filter(pk=event.generation_id).update(
            files_purged_at=event.at, mirror_state="copied"
        )
    to_copy = Generation.objects.filter(status="succeeded", mirror_state="").exclude(video_url="")
    Change.objects.bulk_create(
        Change(generation_id=pk, from_stage="succeeded", to_stage="finishing", source="migration")
        for pk in to_copy.values_list("pk", flat=True)
    )
    to_copy.update(mirror_state="copying")
    successes = Event.objects.filter(kind="state", data__to="succeeded")
    for generation_id, data in successes.values_list("generation_id", "data"):
        finished = Generation.objects.filter(pk=generation_id).values_list("finished_at", flat=True).first()
        Generation.objects.filter(pk=generation_id).update(
            result_at=finished, result_source=str((data or {}).get("source", ""))[:10]
        )


def unfill(apps, schema_editor):
    Generation = apps.get_model("generations", "Generation")
    Event = apps.get_model("generations", "GenerationEvent")

    def missing(data_filter):
        return Generation.objects.exclude(pk__in=Event.objects.filter(**data_filter).values("generation_id"))

    copied = missing({"data__mirror": "stored", "data__kind": "video"}).filter(mirror_state="copied")
    Event.objects.bulk_create(
        Event(
            generation=g,
            at=g.finished_at or timezone.now(),
            kind="note",
            message="The video was copied to our storage.",
            data={"mirror": "stored", "kind": "video"},
        )
        for g in copied.exclude(video_file="")
    )
    failed = missing({"data__mirror__in": FINAL_FAILURES, "data__kind": "video"}).filter(mirror_state="failed")
    Event.objects.bulk_create(
        Event(
            generation=g,
            at=g.finished_at or timezone.now(),
            kind="note",
            message="The provider's video could not be copied.",
            data={"mirror": "gave_up", "kind": "video"},
        )
        for g in failed
    )
    purged = missing({"data__retention": "deleted"}).filter(files_purged_at__isnull=False)
    Event.objects.bulk_create(
        Event(
            generation=g,
            at=g.files_purged_at,
            kind="note",
            message="Result files deleted after the team's retention period.",
            data={"retention": "deleted"},
        )
        for g in purged
    )
    Generation.objects.filter(status="running", mirror_state="copying").update(next_poll_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [("generations", "0008_mirror_state_and_changes")]

    operations = [migrations.RunPython(fill, unfill)]
