"""Portal payment pages: buy (pack or amount), the page Checkout returns to, the saved card and
automatic recharge; and Stripe's webhook endpoint. Views only validate and call services."""

from __future__ import annotations

import stripe
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts import audit
from accounts.decorators import tenant_required
from billing import services as billing
from billing.payments import services, webhooks
from billing.payments.forms import AmountForm, AutoRechargeForm, BuyersForm
from billing.payments.models import CreditPack, Payment

PAYMENTS_SHOWN = 20


def payments_context(request) -> dict:
    """What the billing page's payments part (billing/_payments.html) shows."""
    tenant = request.tenant
    profile = services.profile_for(tenant)
    base = services.base_pack()
    return {
        "payments_enabled": settings.PAYMENTS_ENABLED,
        "payments_sandbox": settings.PAYMENTS_SANDBOX,
        "can_buy": services.can_buy(request.membership),
        "is_owner": request.membership.can("manage_billing"),
        "packs": CreditPack.objects.on_sale(),
        "base_pack": base,
        "topup_min": settings.TOPUP_MIN_CREDITS,
        "topup_max": settings.TOPUP_MAX_CREDITS,
        "payments": Payment.objects.for_tenant(tenant)[:PAYMENTS_SHOWN],
        "profile": profile,
        "recharge_form": AutoRechargeForm(instance=profile),
        "buyers_form": BuyersForm(instance=profile),
    }


def _require_buyer(request) -> None:
    if not services.can_buy(request.membership):
        raise PermissionDenied("Only owners buy credits (admins too, if an owner allows it).")


@tenant_required("view")
@require_POST
def buy(request):
    _require_buyer(request)
    try:
        if request.POST.get("pack"):
            offer = services.offer_for_pack(request.POST["pack"])
        else:
            form = AmountForm(request.POST)
            if not form.is_valid():
                messages.error(
                    request, "Credits: " + " ".join(form.errors.get("credits", ["enter a number."]))
                )
                return redirect("billing:overview")
            offer = services.offer_for_amount(form.cleaned_data["credits"])
        payment = services.start_checkout(request.tenant, request.user, offer, settings.SITE_URL, request)
    except services.PaymentError as exc:
        messages.error(request, exc.message)
        return redirect("billing:overview")
    return redirect(payment.checkout_url)


@tenant_required("view")
def payment(request, pk: int):
    """Where Checkout sends the browser back. Credits come with the webhook, not this page: it
    shows the payment's state and the balance, and refreshes itself until the webhook arrived."""
    payment = get_object_or_404(Payment.objects.for_tenant(request.tenant), pk=pk)
    context = {
        "payment": payment,
        "balance": billing.balance(request.tenant),
        "cancelled": request.GET.get("cancelled") == "1" and payment.status == Payment.Status.PENDING,
    }
    template = "billing/_payment_status.html" if request.htmx else "billing/payment.html"
    return render(request, template, context)


@tenant_required("manage_billing")
@require_POST
def save_card(request):
    try:
        url = services.start_card_setup(request.tenant, request.user, settings.SITE_URL, request)
    except services.PaymentError as exc:
        messages.error(request, exc.message)
        return redirect("billing:overview")
    return redirect(url)


@tenant_required("manage_billing")
def card_saved(request):
    """Setup-mode Checkout returns here; the card itself arrives with the webhook."""
    profile = services.profile_for(request.tenant)
    template = "billing/_card_status.html" if request.htmx else "billing/card.html"
    return render(request, template, {"profile": profile, "returned": "session_id" in request.GET})


@tenant_required("manage_billing")
@require_POST
def auto_recharge(request):
    profile = services.profile_for(request.tenant)
    before = {f: str(getattr(profile, f)) for f in AutoRechargeForm.Meta.fields}
    form = AutoRechargeForm(request.POST, instance=profile)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else "Automatic recharge"
            messages.error(request, f"{label}: {' '.join(errors)}")
        return redirect("billing:overview")
    profile = form.save(commit=False)
    if profile.auto_recharge:
        profile.disabled_reason = ""
    profile.save()
    after = {f: str(getattr(profile, f)) for f in AutoRechargeForm.Meta.fields}
    audit.record(
        request.user,
        "payment.auto_recharge",
        target=request.tenant,
        before=before,
        after=after,
        request=request,
    )
    messages.success(request, "Automatic recharge saved.")
    return redirect("billing:overview")


@tenant_required("manage_billing")
@require_POST
def buyers(request):
    profile = services.profile_for(request.tenant)
    before = profile.admins_may_buy
    form = BuyersForm(request.POST, instance=profile)
    form.is_valid()  # a checkbox: absent means False, nothing can be invalid
    form.save()
    if before != profile.admins_may_buy:
        audit.record(
            request.user,
            "payment.buyers",
            target=request.tenant,
            before={"admins_may_buy": before},
            after={"admins_may_buy": profile.admins_may_buy},
            request=request,
        )
    messages.success(request, "Saved who may buy credits.")
    return redirect("billing:overview")


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Stripe's events (docs/billing.md explains how to register this endpoint)."""
    try:
        event = webhooks.verify(request.body, request.headers.get("Stripe-Signature"))
    except webhooks.BadDelivery as exc:
        return JsonResponse(
            {"error": {"code": "bad_signature", "message": str(exc), "details": {}}}, status=400
        )
    try:
        outcome = webhooks.handle(event)
    except stripe.StripeError as exc:
        # We needed Stripe to finish (e.g. to read a saved card) and could not reach it: a
        # non-2xx answer makes Stripe deliver the event again later.
        message = f"Could not reach Stripe to finish this event: {exc}"
        return JsonResponse(
            {"error": {"code": "stripe_unavailable", "message": message, "details": {}}}, status=503
        )
    return JsonResponse({"received": True, "outcome": outcome})
