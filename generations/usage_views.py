"""The portal's Usage page (/billing/usage/, linked from the billing page): a month's credits by
API key, member, provider and resolution (generations.usage)."""

from __future__ import annotations

from django.shortcuts import render

from accounts.decorators import tenant_required
from generations import usage


@tenant_required("view")  # every role may read the bill, like the billing page
def usage_page(request):
    months = usage.recent_months()
    asked = request.GET.get("month")
    period = usage.period_for(asked) if asked else months[0]
    error = ""
    if period is None:
        error = f"Month: choose one of the last {len(months)} months, from {months[-1].label} to {months[0].label}."
        period = months[0]
    breakdowns = usage.breakdowns(request.tenant, period)
    context = {
        "months": months,
        "period": period,
        "breakdowns": breakdowns,
        "total": breakdowns[0].total,
        "month_error": error,
    }
    return render(request, "generations/usage.html", context, status=400 if error else 200)
