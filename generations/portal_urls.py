"""Portal pages for generations, mounted at the site root: /, /generations/..., /webhooks/."""

from django.urls import path

from generations import views
from generations.webhooks import views as webhook_views

app_name = "generations"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("generations/", views.history, name="history"),
    path("generations/new/", views.new, name="new"),
    path("generations/new/quote/", views.quote, name="quote"),
    path("generations/frames/<path:name>", views.frame, name="frame"),
    path("generations/<str:generation_id>/", views.detail, name="detail"),
    path("generations/<str:generation_id>/live/", views.live, name="live"),
    path("generations/<str:generation_id>/cancel/", views.cancel, name="cancel"),
    path("generations/<str:generation_id>/video/", views.video, name="video"),
    path("webhooks/", webhook_views.webhooks_page, name="webhooks"),
]
