"""`qcluster` with a heartbeat: the task worker that /readyz can see.

Starts django-q2's cluster as `manage.py qcluster` does, and while its sentinel (the process that
restarts dead task processes) is alive, beats for the role "worker" (ops.heartbeats).
SIGTERM/SIGINT stop the cluster gracefully: running tasks finish first.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django_q.cluster import Cluster

from ops.heartbeats import Beater


class Command(BaseCommand):
    help = "Run the django-q2 task cluster and report a worker heartbeat while it runs."

    def handle(self, *args, **options):
        cluster = Cluster()
        cluster.start()
        beater = Beater("worker", alive=lambda: bool(cluster.sentinel and cluster.sentinel.is_alive()))
        beater.start()
        try:
            if cluster.sentinel is not None:
                cluster.sentinel.join()
        finally:
            beater.stop()
