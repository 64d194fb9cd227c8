from django.urls import path

from generations import callbacks

app_name = "callbacks"

urlpatterns = [
    path("<slug:provider>/<token:token>/", callbacks.provider_callback, name="provider"),
]
