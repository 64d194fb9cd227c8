"""API routes of the webhooks app; generations/api/urls.py includes them under /api/."""

from django.urls import path

from generations.webhooks import api

urlpatterns = [
    path("v1/webhook", api.WebhookView.as_view(), name="webhook"),
    path("v1/webhook/rotate", api.RotateView.as_view(), name="webhook-rotate"),
    path("v1/webhook/deliveries", api.DeliveriesView.as_view(), name="webhook-deliveries"),
    path(
        "v1/webhook/deliveries/<rowid:delivery_id>/redeliver",
        api.RedeliverView.as_view(),
        name="webhook-redeliver",
    ),
    path(
        "v1/generations/<genid:generation_id>/video",
        api.VideoFileView.as_view(),
        name="result-video",
    ),
    path(
        "v1/generations/<genid:generation_id>/last-frame",
        api.LastFrameFileView.as_view(),
        name="result-last-frame",
    ),
    path(
        "v1/generations/<genid:generation_id>/poster",
        api.PosterFileView.as_view(),
        name="result-poster",
    ),
]
