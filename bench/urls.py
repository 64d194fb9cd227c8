"""The product's URLs plus the floor endpoint; used by bench/settings.py only."""

from django.urls import path

from bench.floor import floor
from seedance_site import urls as product

handler404 = product.handler404
handler500 = product.handler500

urlpatterns = [path("bench/floor", floor, name="bench-floor"), *product.urlpatterns]
