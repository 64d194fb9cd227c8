"""The project's URLs plus /sandbox/, for tests when the sandbox was off at import time."""

from django.urls import include, path

from seedance_site import urls as root

handler404 = root.handler404
handler500 = root.handler500

urlpatterns = [*root.urlpatterns, path("sandbox/", include("generations.sandbox.urls"))]
