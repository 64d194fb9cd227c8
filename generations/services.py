"""Creating a generation: validate, quote, moderate, then insert the row holding its price.

Everything after the create moves through generations.lifecycle.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Tenant
from generations import files, holds, moderation, polling, pricing, routing
from generations.models import Generation, Status
from generations.spec import GenerationSpec


def create_generation(
    tenant: Tenant,
    *,
    spec: GenerationSpec,
    provider: str = "auto",
    user=None,
    api_key=None,
    callback_url: str = "",
) -> Generation:
    """Validate, quote, then insert the row holding its price, in one transaction.

    Raises TenantSuspended (403), SpecError (422), PromptBlocked (422), InsufficientCredits
    (402) or KeySpendLimit (403); a refusal writes nothing.
    """
    tenant.ensure_can_create_work()
    spec.check()
    adapter = routing.choose(spec, requested=provider)
    needs_review = moderation.screen(tenant, spec)
    quote = pricing.quote(spec, adapter.slug)
    now = timezone.now()
    # Images in the form the provider takes (our hosted copy where it takes URLs only).
    spec, hosted = files.for_provider(spec, adapter, tenant, until=now + polling.deadline_for(adapter.slug))
    generation = Generation(
        tenant=tenant,
        created_by_user=user,
        created_by_key=api_key,
        requested_provider=provider,
        provider=adapter.slug,
        callback_url=callback_url or "",
        quoted=quote.credits,
        status=Status.AWAITING_REVIEW if needs_review else Status.PENDING,
        deadline=now + polling.deadline_for(adapter.slug),
        # Due at once: the poller, woken on commit, hands it to a worker (tasks.submit_generation).
        next_poll_at=None if needs_review else now,
        created_at=now,
        **_spec_fields(spec),
    )
    # The row is the whole record of the creation: no timeline event (Generation.timeline()).
    try:
        with transaction.atomic():
            holds.hold(generation, quote.credits)  # inserts the row, holding its price
            if not needs_review:
                polling.wake()
    except BaseException:
        files.discard(hosted)  # refused: no copy stays behind
        raise
    return generation


def _spec_fields(spec: GenerationSpec) -> dict:
    fields = spec.as_dict()
    fields["first_frame"] = fields["first_frame"] or ""
    fields["last_frame"] = fields["last_frame"] or ""
    return fields


def callback_url_for(generation: Generation, provider_slug: str) -> str:
    path = reverse("callbacks:provider", args=[provider_slug, generation.callback_token])
    return f"{settings.SITE_URL}{path}"
