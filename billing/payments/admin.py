"""Staff screens for payments: packs are editable; payments, events and payment settings are
read-only history. Staff refund a payment from the payment list ("Refund through Stripe"): the
refund is asked of Stripe and audited, and the credits go when Stripe's webhook confirms it.
"""

from __future__ import annotations

from django.contrib import admin, messages

from accounts import audit
from billing.payments import services
from billing.payments.models import CreditPack, Payment, PaymentProfile, StripeEvent
from seedance_site.read_only_admin import ReadOnlyAdmin


@admin.register(CreditPack)
class CreditPackAdmin(admin.ModelAdmin):
    list_display = ["name", "credits", "price", "currency", "active", "position", "updated_at"]
    list_editable = ["credits", "price", "currency", "active", "position"]
    list_filter = ["active", "currency"]

    def save_model(self, request, obj, form, change):
        # Prices are money: each change is audited with what it was and what it became.
        before = {f: str(form.initial.get(f)) for f in form.changed_data} if change else None
        super().save_model(request, obj, form, change)
        after = {f: str(getattr(obj, f)) for f in (form.changed_data or ["name", "credits", "price"])}
        audit.record(
            request.user,
            "credit_pack.change" if change else "credit_pack.add",
            target=obj,
            before=before,
            after=after,
            request=request,
        )

    def has_delete_permission(self, request, obj=None):
        # Payments point at their pack: a pack is taken off sale (active) rather than deleted.
        return False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "tenant",
        "kind",
        "status",
        "credits",
        "display_amount",
        "refunded_amount",
        "credits_reversed",
        "credits_unrecovered",
        "checkout_session_id",
    ]
    list_filter = ["status", "kind", "tenant", "created_at"]
    list_select_related = ["tenant"]
    search_fields = [
        "tenant__slug",
        "tenant__name",
        "checkout_session_id",
        "payment_intent_id",
        "charge_id",
        "dispute_id",
    ]
    date_hierarchy = "created_at"
    actions = ["refund_through_stripe"]

    @admin.display(description="amount")
    def display_amount(self, payment: Payment) -> str:
        return payment.display_amount

    @admin.action(description="Refund through Stripe (what is left of each selected payment)")
    def refund_through_stripe(self, request, queryset):
        for payment in queryset:
            try:
                refund_id = services.request_refund(payment, request.user, request)
            except services.PaymentError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"Refund {refund_id} asked of Stripe for payment {payment.pk}; the credits are taken "
                    "back when Stripe confirms it.",
                    messages.SUCCESS,
                )


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "type", "id", "payment", "outcome"]
    list_filter = ["type"]
    search_fields = ["id", "payment__checkout_session_id"]


@admin.register(PaymentProfile)
class PaymentProfileAdmin(ReadOnlyAdmin):
    list_display = [
        "tenant",
        "card_label",
        "auto_recharge",
        "recharge_below",
        "recharge_pack",
        "disabled_reason",
    ]
    list_filter = ["auto_recharge"]
    search_fields = ["tenant__slug", "tenant__name"]
