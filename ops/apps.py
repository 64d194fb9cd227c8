from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operations: heartbeats, readiness, metrics, log context."""

    name = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        from django_q.signals import post_execute_in_worker, pre_enqueue, pre_execute

        from ops import checks, logs  # noqa: F401 - registers the system checks

        pre_enqueue.connect(logs.on_pre_enqueue, dispatch_uid="ops.logs.pre_enqueue")
        pre_execute.connect(logs.on_pre_execute, dispatch_uid="ops.logs.pre_execute")
        post_execute_in_worker.connect(logs.on_post_execute, dispatch_uid="ops.logs.post_execute")
