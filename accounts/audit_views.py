"""The portal's audit log page: a tenant's owner sees what was done to their team, and by whom."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.shortcuts import render

from accounts import audit
from accounts.decorators import tenant_required
from accounts.models import AuditEvent

PER_PAGE = 50
STAFF_LABEL = audit.STAFF_LABEL


@dataclass(frozen=True)
class AuditRow:
    at: object
    who: str
    what: str
    target: str
    changes: list[str]
    note: str
    ip: str


@tenant_required("view_audit")
def audit_log(request):
    tenant = request.membership.tenant
    page = Paginator(AuditEvent.objects.for_tenant(tenant).order_by("-at", "-id"), PER_PAGE).get_page(
        request.GET.get("page")
    )
    members = set(tenant.memberships.values_list("user_id", flat=True))
    rows = [_row(event, members) for event in page]
    return render(request, "audit/log.html", {"page": page, "rows": rows})


def _row(event: AuditEvent, members: set[int]) -> AuditRow:
    if event.actor_email.startswith("API key"):
        who = event.actor_email
    else:
        who = audit.shown_actor(event.actor_id, event.actor_email, members) or "System"
    return AuditRow(
        at=event.at,
        who=who,
        what=audit.label_for(event.action),
        target=event.target_repr,
        changes=describe_changes(event.before, event.after),
        note=event.note,
        # Only the team's own addresses: the addresses staff work from are not the tenant's business.
        ip=(event.ip or "") if who != STAFF_LABEL else "",
    )


def describe_changes(before: dict | None, after: dict | None) -> list[str]:
    """["status: running → cancelled", "held: 32 → 0", ...] for the keys that differ."""
    before, after = before or {}, after or {}
    lines = []
    for key in [*before, *(k for k in after if k not in before)]:
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if key in before and key in after:
            lines.append(f"{key}: {_show(old)} → {_show(new)}")
        elif key in after:
            lines.append(f"{key}: {_show(new)}")
        else:
            lines.append(f"{key}: was {_show(old)}")
    return lines


def _show(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
