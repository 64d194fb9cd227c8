import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "seedance_site.settings")
application = get_wsgi_application()

# With DEBUG off and no collected static files every page would be a 500: refuse to start.
from ops.static_files import require_collected_static

require_collected_static()
