"""The periodic tasks of webhooks and results, as django-q2 Schedules (run by `qcluster`)."""

from django.db import migrations

SCHEDULES = [
    # Retries that are due, and deliveries whose on-commit enqueue was lost.
    {"name": "webhooks.sweep_deliveries", "func": "generations.webhooks.tasks.sweep_deliveries",
     "schedule_type": "I", "minutes": 1},
    # Successes whose mirror task was lost.
    {"name": "results.sweep_unmirrored", "func": "generations.results.sweep_unmirrored",
     "schedule_type": "I", "minutes": 10},
    # Files past their tenant's retention_days.
    {"name": "results.purge_expired", "func": "generations.results.purge_expired_results",
     "schedule_type": "D", "minutes": None},
]


def create(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    for spec in SCHEDULES:
        fields = {k: v for k, v in spec.items() if k != "name"}
        Schedule.objects.update_or_create(name=spec["name"], defaults={**fields, "repeats": -1})


def remove(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.filter(name__in=[s["name"] for s in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_initial"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create, remove)]
