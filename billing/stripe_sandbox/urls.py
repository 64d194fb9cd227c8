"""The payment sandbox, mounted at /sandbox/stripe/ only when PAYMENTS_SANDBOX is on."""

from django.urls import path

from billing.stripe_sandbox import views

app_name = "stripe_sandbox"

urlpatterns = [
    # Stripe's API, as far as billing.payments.stripe_api uses it (STRIPE_API_BASE points here).
    path("v1/customers", views.customers, name="customers"),
    path("v1/checkout/sessions", views.checkout_sessions, name="checkout_sessions"),
    path("v1/checkout/sessions/<str:object_id>", views.retrieve, {"kind": "checkout.session"}),
    path("v1/setup_intents/<str:object_id>", views.retrieve, {"kind": "setup_intent"}),
    path("v1/payment_intents", views.payment_intents, name="payment_intents"),
    path("v1/payment_intents/<str:object_id>", views.retrieve, {"kind": "payment_intent"}),
    path("v1/refunds", views.refunds, name="refunds"),
    # Stripe's hosted pages.
    path("checkout/<str:session_id>/", views.checkout, name="checkout"),
    path("receipts/<str:charge_id>/", views.receipt, name="receipt"),
]
