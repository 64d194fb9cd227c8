"""Mounted at /api/ by seedance_site/urls.py."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from generations.api import kie, views

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file: the CSP allows no inline scripts.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("v1/generations", views.GenerationsView.as_view(), name="generations"),
    path("v1/generations/<genid:generation_id>", views.GenerationView.as_view(), name="generation"),
    path("v1/generations/<genid:generation_id>/cancel", views.CancelView.as_view(), name="generation-cancel"),
    path("v1/quotes", views.QuoteView.as_view(), name="quotes"),
    path("v1/balance", views.BalanceView.as_view(), name="balance"),
    path("v1/ledger", views.LedgerView.as_view(), name="ledger"),
    path("v1/providers", views.ProvidersView.as_view(), name="providers"),
    path("v1/files", views.FilesView.as_view(), name="files"),
    # The id's form is checked by the URL itself, so a malformed one never reaches a query.
    re_path(r"^v1/files/(?P<file_id>file_[0-9a-z]{26})$", views.FileView.as_view(), name="file"),
    # Kie-compatible surface (Kie's market jobs paths).
    path("v1/jobs/createTask", kie.CreateTaskView.as_view(), name="kie-create-task"),
    path("v1/jobs/recordInfo", kie.RecordInfoView.as_view(), name="kie-record-info"),
    # Webhook endpoint, delivery log and result downloads (the webhooks app).
    path("", include("generations.webhooks.urls")),
]
