"""`manage.py schedules` makes django-q2 run exactly the periodic tasks of ops/schedules.py."""

import pytest
from django.core.management import call_command
from django.utils.module_loading import import_string
from django_q.models import Schedule

from ops.schedules import SCHEDULES

pytestmark = pytest.mark.django_db


def test_every_listed_task_is_a_function_that_exists():
    for periodic in SCHEDULES:
        assert callable(import_string(periodic.func)), periodic.func


def test_the_command_creates_each_schedule_once_and_can_run_again():
    Schedule.objects.all().delete()

    call_command("schedules")
    call_command("schedules")

    rows = {s.name: (s.func, s.schedule_type, s.minutes, s.repeats) for s in Schedule.objects.all()}
    assert rows == {p.name: (p.func, p.schedule_type, p.minutes, -1) for p in SCHEDULES}


def test_it_updates_a_changed_schedule_and_deletes_retired_ones():
    Schedule.objects.update_or_create(
        name="generations-poll-due", defaults={"func": "old.path", "schedule_type": "D", "repeats": -1}
    )
    Schedule.objects.create(
        name="results.sweep_unmirrored", func="generations.results.sweep_unmirrored", schedule_type="I"
    )

    call_command("schedules")

    assert Schedule.objects.get(name="generations-poll-due").func == "generations.tasks.poll_due"
    assert not Schedule.objects.filter(name="results.sweep_unmirrored").exists()


def test_no_migration_leaves_a_schedule_behind():
    assert not Schedule.objects.exists()  # the test database is built by migrations alone
