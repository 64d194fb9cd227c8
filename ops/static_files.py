"""With DEBUG off, pages name their static files through collectstatic's manifest; without the
manifest every page would be a 500. The web process refuses to start instead (wsgi.py), and
`manage.py check --deploy` reports it."""

from __future__ import annotations

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import storages

MESSAGE = (
    "Static files are not collected: {path} is missing. With DEBUG off, run "
    "`deploy/run release` (or `python manage.py collectstatic --noinput`) before starting the web "
    "server, with the same STATIC_ROOT."
)


def missing_manifest() -> str | None:
    """The problem, or None when static files are ready to serve."""
    storage = storages["staticfiles"]
    if settings.DEBUG or not isinstance(storage, ManifestFilesMixin):
        return None
    if storage.exists(storage.manifest_name):
        return None
    return MESSAGE.format(path=storage.path(storage.manifest_name))


def require_collected_static() -> None:
    problem = missing_manifest()
    if problem:
        raise ImproperlyConfigured(problem)
