"""Run the sandbox in-process for tests: the `sandbox` pytest fixture is built from `harness()`.

Every request the shared transport sends to SITE_URL goes through `httpx.WSGITransport` into
this very Django process (sandbox, callback views, everything), so no server or port is needed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import got_request_exception, request_finished, request_started
from django.db import close_old_connections
from django.urls import NoReverseMatch, reverse

from generations import outbound
from generations.providers import transport
from generations.sandbox.callbacks import deliver_due_callbacks
from generations.sandbox.models import SandboxTask

SLUGS = ("kie", "apikley", "kkiai", "ark", "aizfw", "jiekou")


class InProcessWSGIHandler(WSGIHandler):
    """Django's WSGI app, minus what breaks inside a test: closing the test's DB connection at
    request start/end (as django.test.Client also avoids), and swallowing SimulatedTimeout."""

    _depth = threading.local()

    def __call__(self, environ, start_response):
        depth = getattr(self._depth, "value", 0)
        if depth == 0:
            request_started.disconnect(close_old_connections)
            request_finished.disconnect(close_old_connections)
        self._depth.value = depth + 1
        raised: list[BaseException] = []

        def record(sender, request=None, **kwargs):
            import sys

            raised.append(sys.exc_info()[1])

        got_request_exception.connect(record, weak=False)
        try:
            result = super().__call__(environ, start_response)
            body = b"".join(result)
            result.close()  # fires request_finished while close_old_connections is disconnected
        finally:
            got_request_exception.disconnect(record)
            self._depth.value = depth
            if depth == 0:
                request_started.connect(close_old_connections)
                request_finished.connect(close_old_connections)
        for exc in raised:
            if isinstance(exc, transport.SimulatedTimeout):
                raise exc
        return [body]


_network: httpx.HTTPTransport | None = None


def _network_transport() -> httpx.HTTPTransport:
    # Built once: each new HTTPTransport builds an SSL context, ~0.1 s per test otherwise.
    global _network
    if _network is None:
        _network = httpx.HTTPTransport()
    return _network


def in_process_client(site_url: str, mounts: dict[str, httpx.BaseTransport] | None = None) -> httpx.Client:
    """An httpx.Client that serves `site_url` from this process; `mounts` adds other hosts
    (e.g. a MockTransport capturing callbacks sent elsewhere). Other hosts use the network."""
    app = transport.InProcessTransport(app=InProcessWSGIHandler())
    return httpx.Client(transport=_network_transport(), mounts={site_url: app, **(mounts or {})}, timeout=5)


class SiteRouter(httpx.BaseTransport):
    """The outbound guard's transport in the harness: requests to `site_url` go to this process
    (the result copy fetches the sandbox's video, the sandbox calls our callback views), those
    to a `mounts` prefix to its transport, the rest to `other`."""

    def __init__(self, site_url: str, other: httpx.BaseTransport, mounts: dict | None = None):
        self.routes = {site_url: transport.InProcessTransport(app=InProcessWSGIHandler()), **(mounts or {})}
        self.other = other

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        route = next((t for prefix, t in self.routes.items() if url.startswith(prefix)), self.other)
        return route.handle_request(request)


def sandbox_settings(site_url: str, api_key: str, paths: dict[str, str]) -> dict:
    """Settings that point every provider at the sandbox, enabled, with no delay."""
    values: dict = {
        "SANDBOX_ENABLED": True,
        "SANDBOX_DELAY_SECONDS": 0.0,
        "SANDBOX_DELAY_SPREAD": 0.0,
        # Callbacks are sent by the test (deliver_due_callbacks), inside its transaction.
        "SANDBOX_CALLBACK_TIMERS": False,
    }
    for slug in (*SLUGS, "sandbox"):
        values[f"{slug.upper()}_BASE_URL"] = f"{site_url}{paths[slug]}"
        values[f"{slug.upper()}_API_KEY"] = api_key
        if slug != "sandbox":
            values[f"{slug.upper()}_ENABLED"] = True
    return values


@dataclass
class Harness:
    client: httpx.Client
    site_url: str

    def deliver_due_callbacks(self) -> int:
        return deliver_due_callbacks()

    @property
    def tasks(self):
        return SandboxTask.objects.all()


def _sandbox_is_mounted() -> bool:
    try:
        reverse("sandbox:ark-create")
    except NoReverseMatch:
        return False
    return True


@contextmanager
def harness(settings, mounts: dict[str, httpx.BaseTransport] | None = None) -> Iterator[Harness]:
    """Enable the sandbox (delay 0) on pytest-django's `settings` and route SITE_URL in-process."""
    for name, value in sandbox_settings(
        settings.SITE_URL, settings.SANDBOX_API_KEY, settings.PROVIDER_SANDBOX_PATHS
    ).items():
        setattr(settings, name, value)
    if not _sandbox_is_mounted():
        # The root URLconf only mounts /sandbox/ when SANDBOX_ENABLED was on at import time.
        settings.ROOT_URLCONF = "generations.sandbox.mounted_urls"
    # The result mirror downloads the sandbox's video from SITE_URL (loopback), served by
    # whitenoise from the source folder (tests run with DEBUG off, so without the finders).
    settings.OUTBOUND_ALLOWLIST = [*settings.OUTBOUND_ALLOWLIST, "127.0.0.1", "localhost", "testserver"]
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    client = in_process_client(settings.SITE_URL, mounts)
    # Not closed afterwards: that would close the shared network transport too; the in-process
    # part holds nothing to release.
    router = SiteRouter(settings.SITE_URL, outbound.GuardedTransport(), mounts)
    with transport.use_client(client), outbound.use_transport(router):
        yield Harness(client=client, site_url=settings.SITE_URL)
