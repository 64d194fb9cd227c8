from django.conf import settings
from django.contrib import admin
from django.urls import include, path, register_converter

from ops import views as ops_views
from seedance_site import validators
from seedance_site.health import healthz

# Ids are checked for form by the URL itself: <genid:...>, <token:...>, <rowid:...>.
register_converter(validators.GenerationIdConverter, "genid")
register_converter(validators.TokenConverter, "token")
register_converter(validators.RowIdConverter, "rowid")

handler404 = "seedance_site.api_errors.not_found"
handler500 = "seedance_site.api_errors.server_error"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", ops_views.readyz, name="readyz"),
    path("metrics", ops_views.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    # REST API v1, the Kie-compatible surface, /api/schema/ and /api/docs/.
    path("api/", include("generations.api.urls")),
    # Images we host for providers (public, signed, expiring): /files/<token>
    path("files/", include("generations.file_views")),
    # Provider webhooks (CSRF-exempt, no session): /callbacks/<provider>/<token>/
    path("callbacks/", include("generations.urls")),
    # Portal pages (server-rendered): /accounts/..., /keys/, /team/, /billing/, /, /generations/...
    path("", include("accounts.urls")),
    # Log in/out, password reset/change, email confirmation, two-factor (django-allauth).
    path("accounts/", include("allauth.urls")),
    path("billing/", include("billing.urls")),
    # The tenant owner's audit log: /audit/
    path("audit/", include("accounts.audit_urls")),
    path("", include("generations.portal_urls")),
    # Webhook settings actions and result downloads: /webhooks/..., /results/<id>/...
    path("", include("generations.webhooks.portal_urls")),
]

if settings.SANDBOX_ENABLED:
    urlpatterns.append(path("sandbox/", include("generations.sandbox.urls")))

# The local payment sandbox (Stripe's API and hosted pages) when no Stripe key is set.
if settings.PAYMENTS_SANDBOX:
    urlpatterns.append(path("sandbox/stripe/", include("billing.stripe_sandbox.urls")))
