from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from accounts import audit, tenant_controls
from accounts.admin_tools import CappedCountPaginator, TenantFilter
from accounts.models import ApiKey, AuditEvent, Invitation, Membership, ModerationTerm, Tenant, User
from seedance_site.read_only_admin import ReadOnlyAdmin


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "date_joined"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Personal info", {"fields": ["first_name", "last_name"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Important dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


# --- Tenant controls (moderation): every change audited through accounts.tenant_controls ----------
# (The credits action is billing's: billing.admin extends this TenantAdmin.)


class SuspensionForm(forms.Form):
    """Suspending or lifting asks why; the team reads a suspension's reason on every page."""

    reason = forms.CharField(
        max_length=tenant_controls.REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Required. Shown to the team while it is suspended, and kept in its audit log "
        "(as Seedance support).",
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Say why, in words the team will read.")
        return reason


SUSPENSION_PAGES = {
    True: ("Suspend teams", "Suspend", "New generations are refused at once; jobs already running finish."),
    False: ("Lift suspension", "Lift suspension", "The teams can start new generations again."),
}


def _suspension_action(name: str, description: str, suspend: bool):
    """Suspend or lift: a confirmation page naming the teams and asking for the reason first."""

    @admin.action(description=description, permissions=["change"])
    def action(modeladmin, request, queryset):
        tenants = list(queryset)
        form = SuspensionForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            changed = [
                t.slug
                for t in tenants
                if tenant_controls.set_suspended(t, request.user, suspend, request, reason=reason)
            ]
            unchanged = len(tenants) - len(changed)
            if changed:
                modeladmin.message_user(request, f"{description}: {', '.join(changed)}.", messages.SUCCESS)
            if unchanged:
                state = "suspended" if suspend else "not suspended"
                modeladmin.message_user(
                    request, f"{unchanged} team(s) were already {state}; unchanged.", messages.INFO
                )
            return None
        title, button, effect = SUSPENSION_PAGES[suspend]
        context = {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "button": button,
            "effect": effect,
            "form": form,
            "tenants": tenants,
            "action": name,
            "opts": modeladmin.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/accounts/tenant/suspension.html", context)

    action.__name__ = name
    return action


def _flag_action(name: str, description: str, control, value: bool):
    @admin.action(description=description, permissions=["change"])
    def action(modeladmin, request, queryset):
        tenants = list(queryset)
        changed = [t.slug for t in tenants if control(t, request.user, value, request)]
        unchanged = len(tenants) - len(changed)
        if changed:
            modeladmin.message_user(request, f"{description}: {', '.join(changed)}.", messages.SUCCESS)
        if unchanged:
            modeladmin.message_user(
                request, f"{unchanged} tenant(s) were already so; unchanged.", messages.INFO
            )

    action.__name__ = name
    return action


suspend = _suspension_action("suspend", "Suspend (refuse new work)…", True)
unsuspend = _suspension_action("unsuspend", "Lift suspension…", False)
require_review = _flag_action(
    "require_review", "Require review of every job", tenant_controls.set_review_all, True
)
stop_review = _flag_action("stop_review", "Stop requiring review", tenant_controls.set_review_all, False)


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "slug",
        "suspended",
        "review_all",
        "max_in_flight",
        "available_credits",
        "generations_link",
        "created",
    ]
    list_filter = ["suspended", "review_all"]
    list_select_related = ["credit_account"]
    search_fields = ["name", "slug"]
    inlines = [MembershipInline]
    # Suspension goes through its actions (a confirmation and a reason), not a checkbox.
    actions = [suspend, unsuspend, require_review, stop_review]
    readonly_fields = ["suspended", "suspension_reason"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "created"]}),
        (
            "Moderation",
            {
                "fields": [("suspended", "suspension_reason"), "review_all", "max_in_flight"],
                "description": "Suspension refuses new generations; jobs already running finish. "
                "Suspend or lift it with the actions of the team list (they ask for a reason). "
                "Empty in-flight limit = the TENANT_MAX_IN_FLIGHT setting. Changes are audited.",
            },
        ),
        ("Results", {"fields": ["retention_days"]}),
        ("Security", {"fields": ["require_owner_mfa"]}),
    ]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change:
            # The admin wraps this in a transaction, so a change and its audit rows commit together.
            for field in tenant_controls.CONTROLLED_FIELDS:
                if field in form.changed_data:
                    tenant_controls.record_control_change(
                        obj, request.user, field, form.initial.get(field), form.cleaned_data[field], request
                    )

    @admin.display(description="available credits")
    def available_credits(self, tenant):
        account = getattr(tenant, "credit_account", None)
        return account.available if account else 0

    @admin.display(description="generations")
    def generations_link(self, tenant):
        url = reverse("admin:generations_generation_changelist")
        return format_html('<a href="{}?tenant={}">generations</a>', url, tenant.slug)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "tenant", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at"]
    list_select_related = ["tenant"]
    search_fields = ["name", "prefix", "tenant__slug"]
    # The hash is useless to staff and the secret is never stored.
    exclude = ["key_hash"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "created_by"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "tenant", "role", "created", "accepted_at"]
    list_select_related = ["tenant"]


# --- Moderation terms and the audit log ------------------------------------------------------------


@admin.register(ModerationTerm)
class ModerationTermAdmin(admin.ModelAdmin):
    """Terms staff add here apply together with the MODERATION_*_TERMS settings (next create on)."""

    list_display = ["term", "kind", "active", "note", "created_by", "created_at"]
    list_editable = ["kind", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["term", "note"]
    fields = ["term", "kind", "active", "note"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        before = {field: form.initial.get(field) for field in form.changed_data} if change else None
        after = {field: getattr(obj, field) for field in form.changed_data}  # as stored (normalised)
        if not change or form.changed_data:
            action = "moderation_term.change" if change else "moderation_term.add"
            audit.record(request.user, action, target=obj, before=before, after=after, request=request)

    def delete_model(self, request, obj):
        _audit_term_delete(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for term in queryset:
            _audit_term_delete(request, term)
        super().delete_queryset(request, queryset)


def _audit_term_delete(request, term: ModerationTerm) -> None:
    before = {"term": term.term, "kind": term.kind, "active": term.active}
    audit.record(request.user, "moderation_term.delete", target=term, before=before, request=request)


class ActionFilter(admin.SimpleListFilter):
    """Choices from the known actions, not a DISTINCT over the whole log."""

    title = "action"
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return sorted(audit.ACTION_LABELS.items(), key=lambda item: item[1])

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


class StaffFilter(admin.SimpleListFilter):
    title = "by"
    parameter_name = "by"

    def lookups(self, request, model_admin):
        return [("staff", "Staff"), ("tenant", "Tenant users and API keys"), ("system", "System")]

    def queryset(self, request, queryset):
        if self.value() == "staff":
            return queryset.filter(actor__is_staff=True)
        if self.value() == "tenant":
            return queryset.exclude(actor_email="").exclude(actor__is_staff=True)
        if self.value() == "system":
            return queryset.filter(actor_email="")
        return queryset


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """History: nobody adds, edits or deletes audit events, not even superusers."""

    list_display = ["at", "actor_email", "tenant", "action", "target_type", "target_id", "note", "ip"]
    list_select_related = ["tenant"]
    list_filter = [ActionFilter, StaffFilter, TenantFilter, ("at", admin.DateFieldListFilter)]
    search_fields = ["=target_id", "actor_email", "note"]
    search_help_text = "An exact target id (gen_…, tenant id), an actor email, or words from the note."
    ordering = ["-at", "-id"]
    paginator = CappedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    readonly_fields = [
        "at",
        "actor",
        "actor_email",
        "tenant",
        "action",
        "target_type",
        "target_id",
        "target_repr",
        "before",
        "after",
        "note",
        "ip",
    ]
    fields = readonly_fields
