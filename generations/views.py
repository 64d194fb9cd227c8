"""Portal pages for generations: dashboard, history, new, detail (with live status)."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.decorators import tenant_required
from billing import services as billing
from billing.models import LedgerEntry
from generations import input_images, lifecycle, progress, snippets
from generations.forms import HistoryFilterForm
from generations.models import FINISHING, Generation
from seedance_site import validators
from seedance_site.errors import DomainError

PAGE_SIZE = 25
FRAME_URL_FIELDS = ("first_frame_url", "last_frame_url")


def _generations(request):
    """The one queryset every page starts from: the current tenant's generations."""
    return Generation.objects.for_tenant(request.tenant)


def _get_generation(request, generation_id: str, *related: str) -> Generation:
    # Another tenant's id is a 404, never a 403: ids must not leak across tenants.
    generations = _generations(request).select_related(*related) if related else _generations(request)
    return get_object_or_404(generations, pk=generation_id)


# The detail page's timeline starts with who created the job (Generation.creation_event).
CREATORS = ("created_by_key", "created_by_user")


# --- Dashboard -------------------------------------------------------------------------------


@tenant_required("view")
def dashboard(request):
    recent = list(_generations(request).select_related("created_by_user")[:5])
    context = {
        "balance": billing.balance(request.tenant),
        "recent": recent,
        "open_count": _generations(request).open().count(),
    }
    return render(request, "generations/dashboard.html", context)


# --- History ---------------------------------------------------------------------------------


VIEWS = ("list", "grid")
# History polls this often for jobs created elsewhere (the API, another member).
NEWER_POLL_SECONDS = 5


def _history_view(request) -> str:
    """ "grid" (the gallery) or "list" (the table), as the page's toggle asked."""
    return "grid" if request.GET.get("view") == "grid" else "list"


def _history_context(request, rows, **extra) -> dict:
    query = request.GET.copy()
    for name in ("after", "since"):
        query.pop(name, None)
    return {
        "generations": rows,
        "view": _history_view(request),
        "query": query.urlencode(),
        # The newest row shown: the "newer than this" poll starts after it.
        "since": rows[0].id if rows else "",
        "newer_every": NEWER_POLL_SECONDS,
        **extra,
    }


@tenant_required("view")
def history(request):
    """Newest first, keyset-paginated ("load more" after the last id): no COUNT(*), any depth.
    ?view=grid shows the same rows as a gallery of posters."""
    filters = HistoryFilterForm(request.GET, tenant=request.tenant)
    queryset = filters.filter(_generations(request)).select_related("created_by_user", "created_by_key")
    after = request.GET.get("after")
    if after and not validators.is_generation_id(after):
        raise Http404("No such generation.")
    if after:
        anchor = _generations(request).filter(pk=after).values_list("created_at", flat=True).first()
        if anchor is not None:
            # (created_at, id) is the sort order; ties on created_at fall back to the id.
            queryset = queryset.filter(Q(created_at__lt=anchor) | Q(created_at=anchor, id__lt=after))
    rows = list(queryset[: PAGE_SIZE + 1])
    has_more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    context = _history_context(
        request,
        rows,
        filters=filters,
        next_after=rows[-1].id if has_more else None,
        filtered=any(v for k, v in request.GET.items() if k not in ("after", "view")),
        layouts=_layout_links(request),
    )
    if request.htmx and after:
        return render(request, "generations/_history_items.html", context)
    return render(request, "generations/history.html", context)


def _layout_links(request) -> list[dict]:
    """The list/grid toggle: each layout's query string, keeping the filters and search."""
    links = []
    for name, label in (("list", "List"), ("grid", "Grid")):
        query = request.GET.copy()
        query.pop("after", None)
        query.pop("view", None)
        if name == "grid":
            query["view"] = "grid"
        links.append({"name": name, "label": label, "query": query.urlencode()})
    return links


@tenant_required("view")
def newer(request):
    """History's poll (htmx): the jobs matching its filters created after `since` (the newest
    row it shows), newest first, as rows or cards; 204 when there are none.

    With no `since` (History was empty), any job there is reloads the whole page."""
    since = request.GET.get("since") or ""
    if since and not validators.is_generation_id(since):
        raise Http404("No such generation.")
    filters = HistoryFilterForm(request.GET, tenant=request.tenant)
    queryset = filters.filter(_generations(request))
    if not since:
        if not queryset.exists():
            return HttpResponse(status=204)
        return HttpResponse(headers={"HX-Refresh": "true"})
    anchor = _generations(request).filter(pk=since).values_list("created_at", flat=True).first()
    if anchor is None:
        raise Http404("No such generation.")  # another team's id too
    queryset = queryset.filter(Q(created_at__gt=anchor) | Q(created_at=anchor, id__gt=since))
    rows = list(queryset.select_related("created_by_user", "created_by_key")[:PAGE_SIZE])
    if not rows:
        return HttpResponse(status=204)
    context = _history_context(request, rows)
    return render(request, "generations/_history_newer.html", context)


@tenant_required("view")
def row(request, generation_id: str):
    """One history row (htmx): an unfinished job's row refreshes itself with this."""
    generation = _get_generation(request, generation_id, *CREATORS)
    template = "_history_card.html" if _history_view(request) == "grid" else "_history_row.html"
    return render(request, f"generations/{template}", {"generation": generation})


def _code(request, body: dict) -> dict[str, str]:
    return snippets.snippets(body, request.build_absolute_uri("/"))


# --- Detail ----------------------------------------------------------------------------------


@tenant_required("view")
def detail(request, generation_id: str):
    generation = _get_generation(request, generation_id, *CREATORS)
    context = {
        **_detail_context(generation),
        "code": _code(request, snippets.body_of_generation(generation)),
        "inputs": input_images.inputs_of(generation),
    }
    return render(request, "generations/detail.html", context)


@tenant_required("view")
def live(request, generation_id: str):
    """The self-refreshing part of the detail page; it stops polling once the job is terminal."""
    generation = _get_generation(request, generation_id, *CREATORS)
    return render(request, "generations/_live.html", _detail_context(generation))


def _detail_context(generation: Generation) -> dict:
    # A staff refund gives the charge back; the ledger's refund entry says how much.
    refunded = sum(
        LedgerEntry.objects.filter(generation_id=generation.pk, kind=LedgerEntry.Kind.REFUND).values_list(
            "amount", flat=True
        )
    )
    return {
        "generation": generation,
        "waiting": progress.waiting(generation),
        "refunded": refunded,
        "net_charged": generation.charged - refunded,
        "events": generation.timeline(),
        "live": not generation.is_terminal,
        # The provider finished; the job stays running while we copy the video (docs/api.md).
        "copying": generation.stage == FINISHING,
    }


@tenant_required("create")
@require_POST
def cancel(request, generation_id: str):
    generation = _get_generation(request, generation_id)
    try:
        lifecycle.cancel(generation, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Cancelled. The held credits are back in your balance.")
    return redirect("generations:detail", generation.id)
