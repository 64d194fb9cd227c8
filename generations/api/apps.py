from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "generations.api"
    label = "api"
    verbose_name = "REST API"

    def ready(self) -> None:
        # Registers the OpenAPI description of ApiKeyAuthentication with drf-spectacular.
        from generations.api import schema  # noqa: F401
