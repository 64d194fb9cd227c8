"""The payment sandbox: the few Stripe API endpoints we call, and Stripe's hosted pages.

API endpoints (`/sandbox/stripe/v1/...`) take the stripe library's form-encoded requests and
answer in Stripe's JSON shapes, so billing.payments.stripe_api runs unchanged against them.
The checkout page stands in for Stripe Checkout: "Pay" completes the session and sends
checkout.session.completed (signed with STRIPE_WEBHOOK_SECRET) to /billing/stripe/webhook/,
then returns the browser to the session's success_url. Everything answers 404 unless
PAYMENTS_SANDBOX is on (no Stripe key, sandbox enabled).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from functools import wraps

from django.conf import settings
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from billing.payments.models import format_money
from billing.stripe_sandbox import stripe_objects as so
from billing.stripe_sandbox.models import SandboxStripeObject

CARDS = {
    "4242": {"brand": "visa", "last4": "4242"},
    so.DECLINING_CARD: {"brand": "visa", "last4": so.DECLINING_CARD},
}


def sandbox_only(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not settings.PAYMENTS_SANDBOX:
            raise Http404("The payment sandbox is off.")
        return view(request, *args, **kwargs)

    return wrapped


# --- The API ----------------------------------------------------------------------------------


def _error(status: int, message: str, type_: str = "invalid_request_error", **extra) -> JsonResponse:
    return JsonResponse({"error": {"message": message, "type": type_, **extra}}, status=status)


def api(view):
    """Bearer auth with the sandbox key, nested form parameters, Idempotency-Key replay."""

    @sandbox_only
    @csrf_exempt
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.headers.get("Authorization") != f"Bearer {settings.STRIPE_SANDBOX_KEY}":
            return _error(401, "Invalid API Key provided.")
        source = request.POST if request.method == "POST" else request.GET
        params = nested(source.lists())
        key = request.headers.get("Idempotency-Key")
        if key and request.method == "POST":
            stored_id = "idem_" + hashlib.sha256(f"{request.path}|{key}".encode()).hexdigest()[:56]
            stored = SandboxStripeObject.objects.filter(pk=stored_id).first()
            if stored is not None:
                return JsonResponse(stored.data["body"], status=stored.data["status"])
            response = view(request, params, *args, **kwargs)
            body = json.loads(response.content)
            SandboxStripeObject.objects.create(
                id=stored_id, object="idempotency_key", data={"status": response.status_code, "body": body}
            )
            return response
        return view(request, params, *args, **kwargs)

    return wrapped


def nested(pairs) -> dict:
    """Stripe's form encoding (`line_items[0][price_data][currency]=usd`) as nested dicts/lists."""
    root: dict = {}
    for key, values in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = values[-1] if len(values) == 1 else values
    return _listify(root)


def _listify(node):
    if isinstance(node, dict):
        if node and all(k.isdigit() for k in node):
            return [_listify(node[k]) for k in sorted(node, key=int)]
        return {k: _listify(v) for k, v in node.items()}
    return node


def _expand(obj: dict, params: dict) -> dict:
    for field in params.get("expand") or []:
        if isinstance(obj.get(field), str):
            obj = {**obj, field: so.get(obj[field]) or obj[field]}
    return obj


@api
@require_POST
def customers(request, params):
    return JsonResponse(
        so.create(
            "customer",
            name=params.get("name"),
            email=params.get("email"),
            metadata=params.get("metadata", {}),
        )
    )


@api
def checkout_sessions(request, params):
    if request.method != "POST":
        return _error(405, "Listing sessions is not part of the sandbox.")
    mode = params.get("mode")
    if mode not in ("payment", "setup"):
        return _error(400, "Invalid mode: must be payment or setup.", param="mode")
    for field in ("success_url",):
        if not params.get(field):
            return _error(400, f"Missing required param: {field}.", param=field)
    amount, currency, name = None, params.get("currency"), ""
    if mode == "payment":
        try:
            item = params["line_items"][0]
            price = item["price_data"]
            amount = int(price["unit_amount"]) * int(item.get("quantity", 1))
            currency, name = price["currency"], price["product_data"]["name"]
        except (KeyError, IndexError, TypeError, ValueError):
            return _error(
                400,
                "line_items[0][price_data] needs currency, unit_amount and product_data[name].",
                param="line_items",
            )
    session = so.create(
        "checkout.session",
        amount_subtotal=amount,
        amount_total=amount,
        cancel_url=params.get("cancel_url"),
        client_reference_id=params.get("client_reference_id"),
        currency=currency,
        customer=params.get("customer"),
        expires_at=int(time.time()) + 24 * 3600,
        metadata=params.get("metadata", {}),
        mode=mode,
        payment_intent=None,
        payment_status="unpaid" if mode == "payment" else "no_payment_required",
        setup_intent=None,
        status="open",
        success_url=params["success_url"],
        url=None,
        # Kept for the PaymentIntent that paying creates (Stripe keeps it too).
        payment_intent_data=params.get("payment_intent_data", {}),
        line_item_name=name,
    )
    session["url"] = so.public_url("checkout", session["id"])
    return JsonResponse(_public(so.save(session)))


def _public(session: dict) -> dict:
    return {k: v for k, v in session.items() if k not in ("payment_intent_data", "line_item_name")}


@api
@require_GET
def retrieve(request, params, object_id, kind):
    """GET /v1/<things>/<id>, with `expand[]` of the fields we ask Stripe to expand."""
    obj = so.get(object_id, kind)
    if obj is None:
        return _error(404, f"No such {kind}: '{object_id}'", param="id")
    return JsonResponse(_expand(_public(obj), params))


@api
def payment_intents(request, params):
    if request.method != "POST":
        return _error(405, "Listing payment intents is not part of the sandbox.")
    method = so.get(params.get("payment_method") or "", "payment_method")
    if method is None or method.get("customer") != params.get("customer"):
        return _error(400, "No such PaymentMethod for this customer.", param="payment_method")
    try:
        amount = int(params["amount"])
    except (KeyError, ValueError):
        return _error(400, "Missing required param: amount.", param="amount")
    currency, metadata = params.get("currency", "usd"), params.get("metadata", {})
    if method["card"]["last4"] == so.DECLINING_CARD:
        intent = so.declined_intent(
            amount, currency, customer=params["customer"], payment_method=method["id"], metadata=metadata
        )
        so.send_event("payment_intent.payment_failed", intent)
        return _error(
            402,
            "Your card was declined.",
            "card_error",
            code="card_declined",
            decline_code="generic_decline",
            payment_intent=intent,
        )
    intent, charge = so.pay(
        amount,
        currency,
        customer=params["customer"],
        payment_method=method["id"],
        metadata=metadata,
        description=params.get("description", ""),
    )
    so.send_event("charge.succeeded", charge)
    so.send_event("payment_intent.succeeded", intent)
    return JsonResponse(intent)


@api
@require_POST
def refunds(request, params):
    intent = so.get(params.get("payment_intent") or "", "payment_intent")
    charge = so.get(intent["latest_charge"] or "", "charge") if intent else None
    if charge is None:
        return _error(400, "No such payment_intent with a charge.", param="payment_intent")
    left = charge["amount"] - charge["amount_refunded"]
    amount = int(params.get("amount") or left)
    if amount <= 0 or amount > left:
        return _error(
            400,
            f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left}).",
            param="amount",
            code="amount_too_large",
        )
    refund = so.create(
        "refund",
        amount=amount,
        charge=charge["id"],
        currency=charge["currency"],
        metadata=params.get("metadata", {}),
        payment_intent=intent["id"],
        status="succeeded",
    )
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
    so.save(charge)
    so.send_event("charge.refunded", charge)
    return JsonResponse(refund)


# --- Stripe's hosted pages ----------------------------------------------------------------------


@sandbox_only
def checkout(request, session_id):
    """Stripe Checkout's page: pay (or save a card), or go back."""
    session = so.get(session_id, "checkout.session")
    if session is None:
        raise Http404("No such Checkout Session in the sandbox.")
    if request.method == "POST" and session["status"] == "open":
        if session["mode"] == "payment":
            _complete_payment(session)
        else:
            _complete_setup(session, request.POST.get("card", "4242"))
        return redirect(session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"]))
    context = {
        "session": session,
        "price": format_money(session["amount_total"], session["currency"])
        if session["amount_total"]
        else "",
        "cards": CARDS,
    }
    return render(request, "stripe_sandbox/checkout.html", context)


def _complete_payment(session: dict) -> None:
    meta = (session.get("payment_intent_data") or {}).get("metadata") or session.get("metadata") or {}
    intent, charge = so.pay(
        session["amount_total"],
        session["currency"],
        customer=session.get("customer"),
        metadata=meta,
        description=session.get("line_item_name", ""),
    )
    session.update(status="complete", payment_status="paid", payment_intent=intent["id"])
    so.save(session)
    so.send_event("charge.succeeded", charge)
    so.send_event("payment_intent.succeeded", intent)
    so.send_event("checkout.session.completed", _public(session))


def _complete_setup(session: dict, card: str) -> None:
    customer = session.get("customer")
    method = so.create(
        "payment_method",
        type="card",
        card={**CARDS.get(card, CARDS["4242"]), "exp_month": 12, "exp_year": 2030},
        customer=customer,
    )
    intent = so.create(
        "setup_intent",
        customer=customer,
        payment_method=method["id"],
        status="succeeded",
        usage="off_session",
    )
    session.update(status="complete", setup_intent=intent["id"])
    so.save(session)
    so.send_event("checkout.session.completed", _public(session))


@sandbox_only
def receipt(request, charge_id):
    """The receipt a charge's receipt_url shows, with a button to open a dispute (sandbox only)."""
    charge = so.get(charge_id, "charge")
    if charge is None:
        raise Http404("No such charge in the sandbox.")
    if request.method == "POST" and not charge["disputed"]:
        dispute = so.create(
            "dispute",
            amount=charge["amount"] - charge["amount_refunded"],
            charge=charge["id"],
            currency=charge["currency"],
            payment_intent=charge["payment_intent"],
            reason="fraudulent",
            status="needs_response",
        )
        charge["disputed"] = True
        so.save(charge)
        so.send_event("charge.dispute.created", dispute)
        return redirect("stripe_sandbox:receipt", charge_id)
    context = {
        "charge": charge,
        "price": format_money(charge["amount"], charge["currency"]),
        "refunded": format_money(charge["amount_refunded"], charge["currency"]),
    }
    return render(request, "stripe_sandbox/receipt.html", context)
