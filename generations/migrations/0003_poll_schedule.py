"""A once-a-minute safety net for the poller: if `manage.py run_poller` is not running, qcluster
still sweeps due generations (slowly). Both may run at once: sweeps claim rows, never twice."""

from django.db import migrations

NAME = "generations-poll-due"


def add_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.get_or_create(
        name=NAME,
        defaults={"func": "generations.tasks.poll_due", "schedule_type": "I", "minutes": 1, "repeats": -1},
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("generations", "0002_submission_marker"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(add_schedule, remove_schedule)]
