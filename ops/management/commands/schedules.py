"""Create or update the django-q2 schedules from ops.schedules, and delete retired ones."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction
from django_q.models import Schedule

from ops.schedules import RETIRED, SCHEDULES


class Command(BaseCommand):
    help = "Create or update every periodic task (ops/schedules.py); safe to run on every deploy."

    def handle(self, **options):
        with transaction.atomic():
            for periodic in SCHEDULES:
                _, created = Schedule.objects.update_or_create(
                    name=periodic.name,
                    defaults={
                        "func": periodic.func,
                        "schedule_type": periodic.schedule_type,
                        "minutes": periodic.minutes,
                        "repeats": -1,
                    },
                )
                self.stdout.write(f"{'created' if created else 'updated'} {periodic.name}")
            retired, _ = Schedule.objects.filter(name__in=RETIRED).delete()
        if retired:
            self.stdout.write(f"deleted {retired} retired schedule(s)")
