"""Portal pages for generations, mounted at the site root: /, /generations/..., /webhooks/.

Result files are served by generations.webhooks.portal_urls (/results/<id>/video), the one
access-checked download for the portal."""

from django.urls import path

from generations import exports, input_images, new_views, rerun_views, usage_views, views
from generations.webhooks import views as webhook_views

app_name = "generations"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    # Linked from the billing page, next to the ledger's CSV.
    path("billing/generations.csv", exports.generations_csv, name="generations_csv"),
    # The month's credits by key, member, provider and resolution (generations.usage).
    path("billing/usage/", usage_views.usage_page, name="usage"),
    path("generations/", views.history, name="history"),
    path("generations/newer/", views.newer, name="newer"),
    path("generations/new/", new_views.new, name="new"),
    path("generations/new/quote/", new_views.quote, name="quote"),
    path("generations/new/frames/<str:role>/", new_views.upload, name="upload_frame"),
    path("generations/new/files/<str:file_id>/", new_views.preview, name="frame_preview"),
    path("generations/<genid:generation_id>/", views.detail, name="detail"),
    path("generations/<genid:generation_id>/live/", views.live, name="live"),
    path("generations/<genid:generation_id>/row/", views.row, name="row"),
    path("generations/<genid:generation_id>/inputs/<int:index>", input_images.input_image, name="input"),
    path("generations/<genid:generation_id>/cancel/", views.cancel, name="cancel"),
    path("generations/<genid:generation_id>/rerun/", rerun_views.rerun, name="rerun"),
    path(
        "generations/<genid:generation_id>/rerun/new-seed/",
        rerun_views.rerun,
        {"new_seed": True},
        name="rerun-new-seed",
    ),
    path("webhooks/", webhook_views.webhooks_page, name="webhooks"),
]
