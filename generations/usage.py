"""A team's usage over one calendar month (UTC), broken down by API key, member, provider and
resolution: jobs charged, credits charged, refunded and the net.

The credits come from the ledger (billing.LedgerEntry `charge` and `refund` entries written in
the month), so the totals are the ledger's own; the ledger carries only the generation an entry
answers to, so the key, member, provider and resolution are read from that generation through a
join. That join is why this lives in generations and not in billing (billing knows nothing of
what credits pay for). Each breakdown is one grouped query, whatever the number of jobs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Tenant
from billing.models import LedgerEntry
from generations import providers

MONTHS_SHOWN = 12  # how far back the month picker reaches


@dataclass(frozen=True)
class Period:
    start: datetime  # inclusive, 00:00 UTC on the 1st
    end: datetime  # exclusive: the 1st of the next month

    @property
    def value(self) -> str:
        return self.start.strftime("%Y-%m")

    @property
    def label(self) -> str:
        return self.start.strftime("%B %Y")


def _month(year: int, month: int) -> Period:
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    return Period(start, end)


def recent_months(count: int = MONTHS_SHOWN) -> list[Period]:
    """This month first, then the `count - 1` before it."""
    now = timezone.now().astimezone(UTC)
    index = now.year * 12 + now.month - 1
    return [_month(i // 12, i % 12 + 1) for i in range(index, index - count, -1)]


def period_for(value: str | None) -> Period | None:
    """The month named "YYYY-MM" if it is one of recent_months(); None for anything else."""
    return next((p for p in recent_months() if p.value == value), None)


@dataclass(frozen=True)
class Row:
    label: str
    detail: str  # a second, smaller line (a key's prefix); may be empty
    jobs: int
    charged: int
    refunded: int

    @property
    def net(self) -> int:
        return self.charged - self.refunded


@dataclass(frozen=True)
class Breakdown:
    slug: str  # "key", "member", ...: the table's id
    title: str
    column: str
    rows: list[Row]

    @property
    def total(self) -> Row:
        return Row(
            label="Total",
            detail="",
            jobs=sum(r.jobs for r in self.rows),
            charged=sum(r.charged for r in self.rows),
            refunded=sum(r.refunded for r in self.rows),
        )


def _entries(tenant: Tenant, period: Period):
    return (
        LedgerEntry.objects.for_tenant(tenant)
        .filter(
            kind__in=[LedgerEntry.Kind.CHARGE, LedgerEntry.Kind.REFUND],
            generation__isnull=False,
            created_at__gte=period.start,
            created_at__lt=period.end,
        )
        .order_by()
    )


def _grouped(tenant: Tenant, period: Period, **group) -> list[dict]:
    """One query: the month's charges and refunds summed per value of the `group` expressions."""
    charge, refund = Q(kind=LedgerEntry.Kind.CHARGE), Q(kind=LedgerEntry.Kind.REFUND)
    rows = (
        _entries(tenant, period)
        .annotate(**group)
        .values(*group)
        .annotate(
            jobs=Count("generation_id", filter=charge),
            charged=Coalesce(Sum("amount", filter=charge), 0),
            refunded=Coalesce(Sum("amount", filter=refund), 0),
        )
    )
    rows = [{**r, "charged": -r["charged"]} for r in rows]  # charges are negative entries
    return sorted(rows, key=lambda r: (-r["charged"], -r["jobs"], str(r[next(iter(group))])))


def by_key(tenant: Tenant, period: Period) -> Breakdown:
    rows = _grouped(
        tenant,
        period,
        key_id=F("generation__created_by_key"),
        key_name=F("generation__created_by_key__name"),
        key_prefix=F("generation__created_by_key__prefix"),
    )
    shown = [
        Row(r["key_name"], r["key_prefix"], r["jobs"], r["charged"], r["refunded"])
        if r["key_id"]
        else Row("No key", "started on the portal", r["jobs"], r["charged"], r["refunded"])
        for r in rows
    ]
    return Breakdown("key", "By API key", "API key", shown)


def by_member(tenant: Tenant, period: Period) -> Breakdown:
    """Who started the job on the portal, or for an API job, who created the key it used."""
    rows = _grouped(
        tenant,
        period,
        member=Coalesce(
            F("generation__created_by_user__email"), F("generation__created_by_key__created_by__email")
        ),
    )
    shown = [
        Row(r["member"] or "Nobody", "" if r["member"] else "a key whose creator left", *_money(r))
        for r in rows
    ]
    return Breakdown("member", "By member", "Member", shown)


def by_provider(tenant: Tenant, period: Period) -> Breakdown:
    rows = _grouped(tenant, period, provider=F("generation__provider"))
    return Breakdown(
        "provider",
        "By provider",
        "Provider",
        [Row(providers.display_name(r["provider"]), "", *_money(r)) for r in rows],
    )


def by_resolution(tenant: Tenant, period: Period) -> Breakdown:
    rows = _grouped(tenant, period, resolution=F("generation__resolution"))
    shown = [Row(r["resolution"], "", *_money(r)) for r in rows]
    return Breakdown("resolution", "By resolution", "Resolution", shown)


def _money(row: dict) -> tuple[int, int, int]:
    return row["jobs"], row["charged"], row["refunded"]


def breakdowns(tenant: Tenant, period: Period) -> list[Breakdown]:
    """The four breakdowns of the month: four queries in all."""
    return [fn(tenant, period) for fn in (by_key, by_member, by_provider, by_resolution)]
