"""Portal routes of the webhooks app, mounted at the site root by seedance_site/urls.py.

/webhooks/ itself is routed from generations/portal_urls.py (the portal's name
`generations:webhooks`, used by the navigation) to `views.webhooks_page`.
"""

from django.urls import path

from generations.webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("webhooks/rotate/", views.rotate, name="rotate"),
    path("webhooks/test/", views.send_test, name="test"),
    path("webhooks/deliveries/<rowid:delivery_id>/", views.delivery_detail, name="delivery"),
    path("webhooks/deliveries/<rowid:delivery_id>/redeliver/", views.redeliver, name="redeliver"),
    path("results/<genid:generation_id>/video", views.result_file, {"kind": "video"}, name="video"),
    path(
        "results/<genid:generation_id>/last-frame",
        views.result_file,
        {"kind": "last_frame"},
        name="last-frame",
    ),
    # The still shown for the video (generations.posters): ours, else the provider's last frame.
    path("results/<genid:generation_id>/poster", views.result_file, {"kind": "poster"}, name="poster"),
]
