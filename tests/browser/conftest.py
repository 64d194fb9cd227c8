"""Real headless Chromium against pytest-django's live_server, through Playwright's sync API.

Debian's /usr/bin/chromium is driven directly (no `playwright install`); without it the browser
tests skip with the reason. A failing test leaves a full-page screenshot in test-artifacts/.

One Chromium serves every test of this package (`chromium` is package-scoped: launching it is
most of a short test's time); each test gets a fresh context (cookies, storage, viewport) through
`tab`, and a context a test opened itself is closed after it, so no state crosses tests.

Why not pytest-playwright's fixtures, and why DJANGO_ALLOW_ASYNC_UNSAFE: Playwright's sync API
keeps an asyncio loop registered as "running" on the main thread (inside a greenlet) for as
long as Playwright is started, and Django then refuses every ORM call from that thread. Here
Playwright starts after the live server and the test database and stops when the run leaves
this package (pytest tears a package-scoped fixture down before the next test outside it, in
whatever order the tests run), so no other test ever sees the loop; only while browser tests
run is the check lifted, for their own ORM assertions. Nothing async touches the database: the
live server's threads are plain threads, and the loop only talks to Chromium.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.db import connections

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="package")
def chromium(live_server):
    if not CHROMIUM.exists():
        pytest.skip(
            f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)"
        )
    from playwright.sync_api import sync_playwright

    # The test database's connections, taken before Playwright's loop is registered (see below).
    test_connections = {alias: connections[alias] for alias in connections}
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        # While the loop is registered, asgiref's context-local `connections` would hand the
        # tests new connections of their own: without the data a serialized rollback restores
        # after each test's flush, and (on PostgreSQL) left open when the run drops the test
        # database. Hand them the test database's own connections instead, the ones the live
        # server shares for an in-memory SQLite database.
        for alias, connection in test_connections.items():
            connections[alias] = connection
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _close_leftover_contexts(request):
    """A context a test opened on the shared browser (chromium.new_context) ends with the test."""
    yield
    if "chromium" in request.fixturenames:
        for context in request.getfixturevalue("chromium").contexts:
            context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    # Remembered per phase, so the page fixture knows at teardown whether the test failed.
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def tab(chromium, live_server, request):
    """A fresh browser context and page on the live server; named `tab`, not `page`, so that
    pytest-playwright (installed for CI tooling) does not inject its own fixtures."""
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 860})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    context.close()
