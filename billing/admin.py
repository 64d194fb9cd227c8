"""Staff screens: prices are editable; accounts and the ledger are read-only history (a
generation's hold is shown on the generation).

Money only moves through billing.services. Staff grant credits from the tenant list: billing
adds the "Grant or adjust credits" action to accounts' TenantAdmin (re-registered below, so
accounts knows nothing of billing), and billing.credit_changes audits each change.
"""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse

from accounts.admin import TenantAdmin
from accounts.models import Tenant
from billing import credit_changes
from billing.credit_changes import CreditChange
from billing.models import CreditAccount, LedgerEntry, PriceRule
from seedance_site.errors import DomainError
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


class CreditChangeForm(GrantCreditsForm):
    """Billing's grant form, plus adjustments (either sign) and a once-only key per submission."""

    kind = forms.ChoiceField(choices=CreditChange.CHOICES, initial=CreditChange.GRANT)
    amount = forms.IntegerField(help_text="Whole credits. A grant adds (> 0); an adjustment may be negative.")
    note = forms.CharField(
        max_length=500, help_text="Required: why. The tenant sees it in their ledger; staff in the audit log."
    )
    # A resubmitted form (double click, browser reload) carries the same key and applies once.
    request_key = forms.CharField(widget=forms.HiddenInput)
    field_order = ["kind", "amount", "note"]

    def clean(self):
        data = super().clean()
        amount, kind = data.get("amount"), data.get("kind")
        if amount is not None and kind == CreditChange.GRANT and amount <= 0:
            self.add_error(
                "amount", "A grant must be a positive number of credits; use Adjust to remove credits."
            )
        if amount == 0 and kind == CreditChange.ADJUST:
            self.add_error("amount", "An adjustment of 0 credits changes nothing.")
        return data


@admin.action(description="Grant or adjust credits (with a note)", permissions=["change"])
def change_credits(modeladmin, request, queryset):
    """Ask for kind, amount and note; apply to each selected tenant once, audited."""
    if "apply" in request.POST:
        form = CreditChangeForm(request.POST)
    else:
        form = CreditChangeForm(initial={"request_key": uuid.uuid4().hex})
    tenants = list(queryset)
    if form.is_valid():
        data = form.cleaned_data
        done, failed, repeated = [], [], 0
        for tenant in tenants:
            try:
                entry = credit_changes.change_credits(
                    tenant,
                    request.user,
                    data["kind"],
                    data["amount"],
                    data["note"],
                    request=request,
                    request_key=f"credits:{data['request_key']}:{tenant.pk}",
                )
            except DomainError as error:
                failed.append(f"{tenant.slug}: {error.message}")
                continue
            if entry is None:
                repeated += 1
            else:
                done.append(f"{tenant.slug} (balance now {entry.balance_after})")
        if done:
            verb = "Granted" if data["kind"] == CreditChange.GRANT else "Adjusted by"
            modeladmin.message_user(
                request, f"{verb} {data['amount']} credits: {', '.join(done)}.", messages.SUCCESS
            )
        if repeated:
            modeladmin.message_user(
                request, f"{repeated} tenant(s) unchanged: this form was already applied.", messages.WARNING
            )
        if failed:
            modeladmin.message_user(request, "Not changed: " + "; ".join(failed), messages.ERROR)
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": "Grant or adjust credits",
        "form": form,
        "tenants": tenants,
        "opts": modeladmin.model._meta,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/accounts/tenant/change_credits.html", context)


admin.site.unregister(Tenant)


@admin.register(Tenant)
class TenantWithCreditsAdmin(TenantAdmin):
    # Money moves only through billing.services; the credits action asks for an amount and a note.
    actions = [*TenantAdmin.actions, change_credits]


# Packs, payments, Stripe events and payment settings (registered on import).
from billing.payments import admin as _payments_admin  # noqa: F401
