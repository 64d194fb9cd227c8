"""Staff screens: prices are editable; accounts and the ledger are read-only history (a
generation's hold is shown on the generation).

Money only moves through billing.services. Staff grant credits from the tenant list: the
"Grant or adjust credits" action in accounts.admin builds on GrantCreditsForm below and
audits each change (accounts.tenant_controls).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin

from billing.models import CreditAccount, LedgerEntry, PriceRule
from seedance_site.read_only_admin import ReadOnlyAdmin


@admin.register(PriceRule)
class PriceRuleAdmin(admin.ModelAdmin):
    list_display = [
        "model",
        "service_tier",
        "resolution",
        "provider",
        "millicredits_per_second",
        "audio_factor",
        "active",
        "updated_at",
    ]
    list_editable = ["millicredits_per_second", "audio_factor", "active"]
    list_filter = ["active", "model", "service_tier", "resolution", "provider"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    """History is corrected with a new ledger entry (grant or adjustment), never edited."""

    list_display = ["created_at", "tenant", "kind", "amount", "balance_after", "generation", "actor", "note"]
    list_filter = ["kind", "created_at"]
    list_select_related = ["tenant", "actor"]
    search_fields = ["tenant__slug", "tenant__name", "generation__id", "note"]
    date_hierarchy = "created_at"


@admin.register(CreditAccount)
class CreditAccountAdmin(ReadOnlyAdmin):
    list_display = ["tenant", "balance", "held", "available", "updated_at"]
    list_select_related = ["tenant"]
    search_fields = ["tenant__slug", "tenant__name"]


class GrantCreditsForm(forms.Form):
    """An amount and a note, both required: every grant says why in the ledger."""

    amount = forms.IntegerField(min_value=1, help_text="Whole credits to add to each selected tenant.")
    note = forms.CharField(max_length=500, help_text="Why: shown in the ledger.")


# Packs, payments, Stripe events and payment settings (registered on import).
from billing.payments import admin as _payments_admin  # noqa: F401
