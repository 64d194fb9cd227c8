from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import ApiKey, Invitation, Membership, Tenant, User
from billing.admin import grant_credits


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


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "suspended", "review_all", "created"]
    list_filter = ["suspended", "review_all"]
    search_fields = ["name", "slug"]
    inlines = [MembershipInline]
    # Money moves only through billing.services; the action asks for an amount and a note.
    actions = [grant_credits]


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
