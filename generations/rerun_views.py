"""Re-run a job in one click: the same spec again, or the same spec with a fresh random seed.

Both go through services.create_generation(), as the form and the API do: the quote, the
credit hold, the in-flight cap, moderation and the team's suspension all apply. A refusal is
a message on the job's page, and nothing is created. Members who may create see the buttons;
a viewer's POST is a 403 (accounts.decorators), another team's id a 404.
"""

from __future__ import annotations

import secrets
from dataclasses import replace

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from accounts.decorators import tenant_required
from billing.errors import InsufficientCredits
from generations import services
from generations.models import Generation
from generations.spec import SEED_MAX, GenerationSpec, SpecError
from seedance_site.errors import DomainError


def fresh_seed(old: int | None) -> int:
    """A random seed, never the one the job ran with."""
    while True:
        seed = secrets.randbelow(SEED_MAX + 1)
        if seed != old:
            return seed


def spec_for_rerun(generation: Generation, *, new_seed: bool) -> GenerationSpec:
    spec = generation.spec
    return replace(spec, seed=fresh_seed(spec.seed)) if new_seed else spec


@tenant_required("create")
@require_POST
def rerun(request, generation_id: str, new_seed: bool = False):
    source = get_object_or_404(Generation.objects.for_tenant(request.tenant), pk=generation_id)
    try:
        generation = services.create_generation(
            request.tenant,
            spec=spec_for_rerun(source, new_seed=new_seed),
            provider=source.requested_provider,
            user=request.user,
        )
    except InsufficientCredits as error:
        messages.error(
            request,
            f"Not enough credits to run this again: it needs {error.details['required']} credits "
            f"and your team has {error.details['available']} available. An owner can add credits "
            "on the Billing page.",
        )
    except SpecError as error:
        problems = "; ".join(f"{field.replace('_', ' ')}: {text}" for field, text in error.errors.items())
        messages.error(
            request,
            f"This job cannot be run again as it was ({problems}). Use “Duplicate as new” to change it.",
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        return redirect("generations:detail", generation.id)
    return redirect("generations:detail", source.id)
