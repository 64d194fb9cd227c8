"""Staff screens: prices are editable; accounts, holds and the ledger are read-only history.

Money only moves through billing.services, so the one write screen here is the "grant
credits" form, used by the tenant admin's action (accounts.admin.TenantAdmin).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse

from billing import services
from billing.models import CreditAccount, CreditHold, LedgerEntry, PriceRule


@admin.register(PriceRule)
class PriceRuleAdmin(admin.ModelAdmin):
    list_display = [
        "resolution",
        "provider",
        "millicredits_per_second",
        "audio_factor",
        "active",
        "updated_at",
    ]
    list_editable = ["millicredits_per_second", "audio_factor", "active"]
    list_filter = ["active", "resolution", "provider"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """History is corrected with a new ledger entry (grant or adjustment), never edited."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
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


@admin.register(CreditHold)
class CreditHoldAdmin(ReadOnlyAdmin):
    list_display = [
        "generation",
        "tenant",
        "api_key",
        "amount",
        "charged",
        "state",
        "created_at",
        "settled_at",
    ]
    list_filter = ["state"]
    list_select_related = ["tenant", "api_key"]
    search_fields = ["generation__id", "tenant__slug"]


class GrantCreditsForm(forms.Form):
    amount = forms.IntegerField(min_value=1, help_text="Whole credits to add to each selected tenant.")
    note = forms.CharField(max_length=500, help_text="Why: shown in the ledger.")


@admin.action(description="Grant credits to the selected tenants", permissions=["change"])
def grant_credits(modeladmin, request, queryset):
    """Admin action: ask for an amount and a note, then grant them to each selected tenant."""
    form = GrantCreditsForm(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        amount, note = form.cleaned_data["amount"], form.cleaned_data["note"]
        tenants = list(queryset)
        for tenant in tenants:
            services.grant(tenant, amount, actor=request.user, note=note)
        modeladmin.message_user(
            request, f"Granted {amount} credits to {len(tenants)} tenant(s).", messages.SUCCESS
        )
        return None  # back to the change list
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": "Grant credits",
        "form": form,
        "tenants": queryset,
        "opts": modeladmin.model._meta,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/billing/grant_credits.html", context)
