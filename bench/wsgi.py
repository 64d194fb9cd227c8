"""WSGI entry point for benchmark runs (gunicorn bench.wsgi): the product plus /bench/floor."""

import os

from django.core.wsgi import get_wsgi_application

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
application = get_wsgi_application()
