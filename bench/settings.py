"""Settings for benchmark runs: the product's settings, plus the floor endpoint's URLconf.

Only bench/wsgi.py and the bench scripts use this module, so the floor never ships in the
product's URLs. Everything a benchmark needs that differs from a production deploy is here,
each with the reason.
"""

import warnings

from seedance_site.settings import *
from seedance_site.settings import DATABASES, env

# The product URLs plus /bench/floor (bench/urls.py).
ROOT_URLCONF = "bench.urls"

# Throttles would turn a load test into a 429 test; the per-request cache work stays.
API_THROTTLE_KEY = env.str("API_THROTTLE_KEY", default="100000000/sec")
API_THROTTLE_TENANT = env.str("API_THROTTLE_TENANT", default="100000000/sec")

# The sample video and last frame are served by whitenoise from the source folder, so a run
# needs no collectstatic; plain storage, because the manifest only exists after collectstatic.
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# whitenoise looks for STATIC_ROOT, which only exists after collectstatic; finders serve instead.
warnings.filterwarnings("ignore", "No directory at", UserWarning)

# Runs start from an empty bench database every time; they must never touch the dev SQLite.
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise RuntimeError("The benchmarks run against PostgreSQL: set DATABASE_URL (docs/benchmarks.md).")
