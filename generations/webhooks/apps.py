from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "generations.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from generations.models import Generation
        from generations.signals import generation_changed
        from generations.webhooks import outbox

        # dispatch_uid: connected once even if ready() runs twice (tests, autoreload).
        generation_changed.connect(
            outbox.on_generation_changed, sender=Generation, dispatch_uid="webhooks.outbox"
        )
