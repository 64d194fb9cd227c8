"""Payment pages under /billing/ (included by billing.urls, in its `billing` namespace)."""

from django.urls import path

from billing.payments import views

urlpatterns = [
    path("buy/", views.buy, name="buy"),
    path("payments/<int:pk>/", views.payment, name="payment"),
    path("card/", views.save_card, name="save_card"),
    path("card/saved/", views.card_saved, name="card_saved"),
    path("auto-recharge/", views.auto_recharge, name="auto_recharge"),
    path("buyers/", views.buyers, name="buyers"),
    path("stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
]
