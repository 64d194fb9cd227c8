"""Which generation and tenant each of our queue tasks is about, for its name and its log lines
(ops.logs). Registered by GenerationsConfig.ready()."""

from __future__ import annotations

from ops.logs import register_task


def _generation(args: tuple) -> dict:
    from generations.models import Generation

    tenant_id = Generation.objects.filter(pk=args[0]).values_list("tenant_id", flat=True).first()
    return {"generation_id": args[0], "tenant_id": tenant_id}


def _delivery(args: tuple) -> dict:
    from generations.webhooks.models import WebhookDelivery

    row = WebhookDelivery.objects.filter(pk=args[0]).values_list("generation_id", "tenant_id").first()
    return {"generation_id": row[0], "tenant_id": row[1]} if row else {}


def _change(args: tuple) -> dict:
    from generations.models import GenerationChange

    row = (
        GenerationChange.objects.filter(pk=args[0])
        .values_list("generation_id", "generation__tenant_id")
        .first()
    )
    return {"generation_id": row[0], "tenant_id": row[1]} if row else {}


def register() -> None:
    register_task("generations.tasks.submit_generation", "submit", _generation)
    register_task("generations.tasks.poll_generation", "poll", _generation)
    register_task("generations.results.mirror", "mirror", _generation)
    register_task("generations.webhooks.delivery.deliver", "webhook", _delivery)
    register_task("generations.followups.process_change", "followup", _change)
