"""Every minute, send the sandbox's owed completion callbacks (a no-op when the sandbox is off).

Status reads also send them at once, so this only matters for tasks nobody polls.
"""

from django.db import migrations

FUNC = "generations.sandbox.callbacks.deliver_due_callbacks"


def add_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.get_or_create(
        name="sandbox-callbacks", defaults={"func": FUNC, "schedule_type": "I", "minutes": 1, "repeats": -1}
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="sandbox-callbacks").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("sandbox", "0001_initial"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(add_schedule, remove_schedule)]
