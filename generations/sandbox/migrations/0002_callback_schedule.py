"""Kept for the migration history: the schedule it created is listed in ops/schedules.py now and
created by `manage.py schedules` (no migration defines a schedule)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("sandbox", "0001_initial"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]
