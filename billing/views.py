"""Portal billing page: balance, ledger, usage chart, CSV exports. Money never moves here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import audit
from accounts.decorators import tenant_required
from accounts.models import Role
from billing import low_balance, services
from billing.forms import LowBalanceForm
from billing.payments.views import payments_context
from seedance_site import validators
from seedance_site.csv_export import csv_response, spreadsheet_text, stamp

LEDGER_PAGE = 50
# Every role may read the bill: members need to see why a generation was refused for lack of
# credits. Nothing on these pages changes money (grants and purchases happen in staff admin).
READ_PERMISSION = "view"


# Who sets the team's low-balance warning: owners and admins (admins watch spend too).
THRESHOLD_ROLES = (Role.OWNER, Role.ADMIN)


@tenant_required(READ_PERMISSION)
def overview(request, threshold_form=None, status=200):
    entries = services.ledger(request.tenant)
    before = request.GET.get("before", "")
    if validators.is_row_id(before):
        entries = entries.filter(id__lt=int(before))
    rows = list(entries[: LEDGER_PAGE + 1])
    members = _member_ids(request.tenant)
    for entry in rows:
        entry.shown_actor = _shown_actor(entry, members)
    usage = services.usage_by_day(request.tenant, days=30)
    context = {
        "balance": services.balance(request.tenant),
        "entries": rows[:LEDGER_PAGE],
        "older": rows[LEDGER_PAGE - 1].id if len(rows) > LEDGER_PAGE else None,
        "chart": usage_chart(usage),
        "usage_total": sum(credits for _, credits in usage),
        "can_set_threshold": request.membership.role in THRESHOLD_ROLES,
        "threshold_form": threshold_form or _threshold_form(request.tenant),
        **payments_context(request),
    }
    return render(request, "billing/overview.html", context, status=status)


def _threshold_form(tenant) -> LowBalanceForm:
    return LowBalanceForm(initial={"low_balance_threshold": low_balance.threshold_of(tenant.pk)})


@tenant_required(READ_PERMISSION)
@require_POST
def low_balance_settings(request):
    """Owners and admins set (or clear) the team's low-balance warning; audited as team.low_balance."""
    if request.membership.role not in THRESHOLD_ROLES:
        raise PermissionDenied("Only owners and admins set the low-balance warning.")
    form = LowBalanceForm(request.POST)
    if not form.is_valid():
        return overview(request, threshold_form=form, status=400)
    with transaction.atomic():
        before, after = low_balance.set_threshold(request.tenant, form.cleaned_data["low_balance_threshold"])
        if before != after:
            audit.record(
                request.user,
                "team.low_balance",
                tenant=request.tenant,
                before={"low_balance_threshold": before},
                after={"low_balance_threshold": after},
                request=request,
            )
    if after is None:
        messages.success(request, "The low-balance warning is off.")
    else:
        messages.success(request, f"You will be warned when available credits fall below {after:,}.")
    return redirect("billing:overview")


def _member_ids(tenant) -> set[int]:
    return set(tenant.memberships.values_list("user_id", flat=True))


def _shown_actor(entry, members: set[int]) -> str:
    return audit.shown_actor(entry.actor_id, entry.actor.email if entry.actor else "", members)


# --- Usage chart -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    day: date
    credits: int


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    peak: int
    baseline: float
    labels: list[tuple[float, str, str]]  # (x, text, text-anchor) under a few bars


def usage_chart(usage: list[tuple[date, int]], width: int = 720, height: int = 180) -> Chart:
    """Geometry for a server-rendered SVG bar chart of credits per day (no JS chart library)."""
    top, bottom = 16, 22  # room for the peak label and the date labels
    plot = height - top - bottom
    peak = max((credits for _, credits in usage), default=0)
    slot = width / max(len(usage), 1)
    bars = []
    for i, (day, credits) in enumerate(usage):
        bar_height = plot * credits / peak if peak else 0
        # A sliver for non-zero days, so a tiny spend next to a big one is still visible.
        if credits and bar_height < 2:
            bar_height = 2
        bars.append(
            Bar(
                x=round(i * slot + slot * 0.15, 2),
                y=round(top + plot - bar_height, 2),
                width=round(slot * 0.7, 2),
                height=round(bar_height, 2),
                day=day,
                credits=credits,
            )
        )
    step = 7 if len(usage) > 10 else 1
    labels = [(round(b.x + b.width / 2, 2), b.day.strftime("%b %-d"), "middle") for b in bars[::-1][::step]]
    if labels:
        # Today's label sits at the right edge: anchor its end there so it is not clipped.
        labels[0] = (float(width), labels[0][1], "end")
    return Chart(width=width, height=height, bars=bars, peak=peak, baseline=top + plot, labels=labels)


# --- CSV exports -----------------------------------------------------------------------------


@tenant_required(READ_PERMISSION)
def ledger_csv(request):
    entries = services.ledger(request.tenant).iterator(chunk_size=2000)
    members = _member_ids(request.tenant)
    rows = (
        [
            e.created_at.isoformat(),
            e.kind,
            e.amount,
            e.balance_after,
            e.generation_id or "",
            _shown_actor(e, members),
            spreadsheet_text(e.note),
            e.reference,
        ]
        for e in entries
    )
    header = ["created_at", "kind", "amount", "balance_after", "generation", "actor", "note", "reference"]
    return csv_response(f"ledger-{request.tenant.slug}-{stamp()}.csv", header, rows)
