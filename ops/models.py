from django.db import models


class Heartbeat(models.Model):
    """One row per running worker or poller process: it updates `seen_at` every few seconds.

    /readyz looks at the newest row of each role (ops.heartbeats).
    """

    class Role(models.TextChoices):
        WORKER = "worker"
        POLLER = "poller"

    role = models.CharField(max_length=16, choices=Role.choices)
    # "<host name>:<pid>": which process, for the operator reading the table.
    instance = models.CharField(max_length=200)
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["role", "instance"], name="heartbeat_one_per_process")]
        indexes = [models.Index(fields=["role", "-seen_at"], name="heartbeat_newest")]

    def __str__(self) -> str:
        return f"{self.role} {self.instance}"
