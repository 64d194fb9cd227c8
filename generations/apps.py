from django.apps import AppConfig


class GenerationsConfig(AppConfig):
    name = "generations"

    def ready(self) -> None:
        from generations import log_context

        log_context.register()
