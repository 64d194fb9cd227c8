from django.apps import AppConfig


class GenerationsConfig(AppConfig):
    name = "generations"

    def ready(self) -> None:
        from accounts import key_spend
        from generations import holds, log_context

        log_context.register()
        # The keys page shows each key's spend through the cap check's own count.
        key_spend.register(holds.key_spends_this_month)
