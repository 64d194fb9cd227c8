"""The New generation page: the form, its live check (price, refusals, provider cards), frame
uploads and previews, and the create of one job or a batch.

The live check (`quote`, htmx) runs the form's own validation without writing anything and
swaps, besides the price, each field's errors and unavailable options out of band, so what
submit would refuse shows before submit.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.decorators import tenant_required
from billing import services as billing
from billing.errors import InsufficientCredits, PriceNotConfigured
from generations import batches, files, form_options, pricing, providers, routing, snippets
from generations.api.images import ImageProblem
from generations.forms import FRAMES, MAX_BATCH, GenerationForm, loose_spec
from generations.models import Generation, UploadedImage
from generations.spec import SpecError
from generations.views import _code
from seedance_site import validators
from seedance_site.errors import DomainError

# Clicking one fills the prompt (static/js/new_generation.js).
EXAMPLE_PROMPTS = (
    "A corgi surfing a small wave at sunset, slow motion, warm light",
    "Aerial shot over a misty pine forest at dawn, the camera glides forward",
    "Close-up of rain drops on a neon-lit window at night, shallow depth of field",
    "A paper boat drifts down a city gutter after the rain, low angle tracking shot",
)
# Fields whose errors and unavailable options the live check swaps in.
LIVE_FIELDS = (
    "prompt",
    "provider",
    "model",
    "service_tier",
    "aspect_ratio",
    "resolution",
    "duration",
    "count",
    "generate_audio",
    "camera_fixed",
    "watermark",
    "seed",
    "first_frame",
    "first_frame_url",
    "last_frame",
    "last_frame_url",
)

PREFILL_FIELDS = (
    "prompt",
    "provider",
    "model",
    "service_tier",
    "aspect_ratio",
    "resolution",
    "duration",
    "count",
    "seed",
    "first_frame_url",
    "last_frame_url",
)


@tenant_required("create")
def new(request):
    if request.method == "POST":
        form = GenerationForm(request.POST, request.FILES, tenant=request.tenant)
        if form.is_valid():
            created = _create(request, form)
            if created and len(created) == 1:
                # No flash message: the detail page's live block says what is happening.
                return redirect("generations:detail", created[0].id)
            if created:
                messages.success(request, f"Started {len(created)} generations of the same settings.")
                return redirect("generations:history")
        status = 402 if getattr(form, "insufficient", None) else 422
        return render(request, "generations/new.html", _context(request, form), status=status)

    initial = {}
    if request.GET.get("from"):
        if not validators.is_generation_id(request.GET["from"]):
            raise Http404("No such generation.")
        original = get_object_or_404(Generation.objects.for_tenant(request.tenant), pk=request.GET["from"])
        initial = GenerationForm.initial_from(original, request.tenant)
    # Other fields in the query override (e.g. ?from=<id>&seed= for "new seed", ?prompt=...).
    initial |= {name: request.GET[name] for name in PREFILL_FIELDS if name in request.GET}
    form = GenerationForm(initial=initial, tenant=request.tenant)
    return render(request, "generations/new.html", _context(request, form))


def _create(request, form: GenerationForm) -> list[Generation] | None:
    """Create the job(s), or put the refusal next to the fields and return None."""
    form.insufficient = None
    try:
        return batches.create_batch(
            request.tenant,
            spec=form.build_spec(),
            provider=form.cleaned_data["provider"],
            count=form.cleaned_data.get("count") or 1,
            user=request.user,
        )
    except SpecError as error:
        for field, message in error.errors.items():
            form.add_error(field if field in form.fields else None, f"{message}")
    except InsufficientCredits as error:
        form.insufficient = {**error.details, "message": error.message}
    except DomainError as error:
        form.add_error(None, error.message)
    return None


def _context(request, form: GenerationForm) -> dict:
    values = form.current()
    checked = getattr(form, "cleaned_data", {})
    frames = {f"{r}_url": checked.get(f"{r}_url") or "" for r in FRAMES} if form.is_bound else None
    return {
        **_live_parts(request, form, values, frames),
        "insufficient": getattr(form, "insufficient", None),
        "examples": EXAMPLE_PROMPTS,
        "errors": {name: form.errors.get(name, []) for name in LIVE_FIELDS} if form.is_bound else {},
    }


@tenant_required("create")
def quote(request):
    """The live check of the form as it stands (htmx): the price, and out of band each field's
    errors and unavailable options, the provider cards and the "copy as code" snippets. Nothing
    is stored or held."""
    data = request.GET if request.method == "GET" else request.POST
    form = GenerationForm(data, tenant=request.tenant, store_uploads=False)
    form.is_valid()
    errors = {name: form.errors.get(name, []) for name in LIVE_FIELDS}
    if not (data.get("prompt") or "").strip():
        errors["prompt"] = []  # nothing typed yet is not an error yet
    context = {
        **_live_parts(request, form, form.current()),
        "errors": errors,
        "unavailable_json": json.dumps(form.unavailable),
        "live_fields": LIVE_FIELDS,
        "live": True,
    }
    return render(request, "generations/_quote.html", {**context, "code_oob": True})


def _live_parts(request, form: GenerationForm, values: dict, frames: dict | None = None) -> dict:
    """What the page and its live check both show for the form's values: the price, the copy-as-code
    snippets, the provider cards and the reasons under fields."""
    return {
        "form": form,
        "quote": quote_for(request, values),
        "code": _code(request, snippets.body_of_form(values, frames)),
        "cards": form_options.cards(loose_spec(values)),
        "reasons": form_options.summaries(form.unavailable, values.get("provider") or "auto"),
    }


def quote_for(request, values: dict) -> dict:
    """{"credits", "unit", "count", "seconds", "provider", "available"} or {"error"}."""
    provider = values.get("provider") or routing.AUTO
    spec = loose_spec(values)
    try:
        count = max(1, min(int(values.get("count") or 1), MAX_BATCH))
    except (TypeError, ValueError):
        count = 1
    try:
        adapter = routing.choose(spec, provider)
        result = pricing.quote(spec, adapter.slug)
    except SpecError as error:
        first = form_options.refusals(spec, provider)
        return {"error": next(iter(first.values()), None) or error.message}
    except (DomainError, PriceNotConfigured) as error:
        return {"error": getattr(error, "message", str(error))}
    available = billing.balance(request.tenant).available
    return {
        "unit": result.credits,
        "count": count,
        "credits": result.credits * count,
        "seconds": result.seconds,
        "audio": spec.generate_audio,
        "provider": providers.display_name(adapter.slug),
        "routed": provider in routing.MODES,
        "available": available,
        "short": result.credits * count > available,
    }


@tenant_required("create")
@require_POST
def upload(request, role: str):
    """A frame chosen or dropped in the browser, stored once (the API's image checks) and
    answered with its preview and hidden token (static/js/new_generation.js)."""
    if role not in FRAMES:
        raise Http404("No such frame.")
    form = GenerationForm(tenant=request.tenant)
    error = ""
    upload_file = request.FILES.get("file")
    if upload_file is None:
        error = "Choose an image file."
    else:
        try:
            form.kept[role] = files.upload(request.tenant, upload_file)
        except ImageProblem as problem:
            error = f"This image cannot be used: {problem}"
    status = 422 if error else 200
    context = {
        "role": role,
        "label": role.replace("_", " "),
        "kept": form.kept[role],
        "upload_error": error,
    }
    return render(request, "generations/new/_frame_kept.html", context, status=status)


@tenant_required("create")
def preview(request, file_id: str):
    """The thumbnail of one of the team's uploads; another team's is a 404."""
    if not files.FILE_ID.fullmatch(file_id):
        raise Http404("No such file.")  # checked for form before any query (NUL bytes, length)
    image = get_object_or_404(
        UploadedImage.objects.for_tenant(request.tenant), pk=file_id, source=UploadedImage.Source.UPLOAD
    )
    response = FileResponse(image.file.open("rb"), content_type=files.content_type(image.kind))
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response
