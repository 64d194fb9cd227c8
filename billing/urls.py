"""Portal billing pages, mounted at /billing/."""

from django.urls import include, path

from billing import views

app_name = "billing"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("ledger.csv", views.ledger_csv, name="ledger_csv"),
    path("low-balance/", views.low_balance_settings, name="low_balance"),
    # Buying credits, the saved card, automatic recharge, Stripe's webhook.
    path("", include("billing.payments.urls")),
]
