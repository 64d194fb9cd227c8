from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "generations.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"
