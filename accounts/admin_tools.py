"""Admin pieces for tables too large to count or to list every related row (generations, audit).

- CappedCountPaginator: counts at most CAP + 1 rows instead of the whole table.
- TextInputFilter: a sidebar filter with a text box (a tenant slug) instead of one link per
  tenant, which with thousands of tenants would be both slow and useless.
"""

from __future__ import annotations

from django.contrib import admin
from django.core.paginator import Paginator
from django.utils.functional import cached_property

COUNT_CAP = 10_000


class CappedCountPaginator(Paginator):
    """A paginator whose count stops at COUNT_CAP + 1.

    `SELECT COUNT(*)` over a million rows reads every row (PostgreSQL keeps no row count);
    counting a LIMITed subquery costs at most COUNT_CAP rows whatever the filters. The price:
    the page links reach the first COUNT_CAP rows only; narrow the list with filters or search
    to go further. `capped` tells the pagination template to say "more than".
    """

    cap = COUNT_CAP

    @cached_property
    def count(self) -> int:
        return self.object_list[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.cap


class TextInputFilter(admin.SimpleListFilter):
    """A list filter rendered as a small form; subclasses implement queryset()."""

    template = "admin/moderation/input_filter.html"
    placeholder = ""

    def lookups(self, request, model_admin):
        return ()

    def has_output(self) -> bool:
        return True

    def choices(self, changelist):
        # The form must carry the other filters and the search along, or submitting it drops them.
        others = [
            (key, value)
            for key, values in changelist.filter_params.items()
            if key != self.parameter_name
            for value in values
        ]
        yield {
            "parameter_name": self.parameter_name,
            "value": self.value() or "",
            "placeholder": self.placeholder,
            "others": others,
            "clear_url": changelist.get_query_string(remove=[self.parameter_name]),
        }


class TenantFilter(TextInputFilter):
    """Filter by tenant slug (or numeric id, as the tenant admin's links use)."""

    title = "tenant"
    parameter_name = "tenant"
    placeholder = "tenant slug"

    def queryset(self, request, queryset):
        value = (self.value() or "").strip()
        if not value:
            return queryset
        if value.isdigit():
            return queryset.filter(tenant_id=int(value))
        return queryset.filter(tenant__slug=value)
