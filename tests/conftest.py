"""The shared cast, healthchecks-style:

- alice owns `tenant`; bob is a member of it; vera is a viewer of it;
- charlie owns `other_tenant` and must never see anything of alice's.
"""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.models import Role
from generations import polling
from generations.api import throttles
from generations.providers import health
from seedance_site import table_cache
from tests.factories import add_member, make_api_key, make_tenant, make_user
from tests.s3 import s3_server, s3_storage  # noqa: F401 - fixtures: a real S3 API on loopback


def pytest_collection_modifyitems(items):
    """Every transactional test restores the migrations' data (price rules, schedules) after it.

    A transactional test ends with a flush. Without serialized_rollback the rows that data
    migrations wrote are gone for the tests after it, and mixing serialized and plain
    transactional tests makes Django re-insert content types that exist already.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker and marker.kwargs.get("transaction") and not marker.kwargs.get("serialized_rollback"):
            kwargs = {**marker.kwargs, "serialized_rollback": True}
            item.add_marker(pytest.mark.django_db(*marker.args, **kwargs), append=False)


postgres_only = pytest.mark.skipif(
    not django_settings.IS_POSTGRES, reason="needs PostgreSQL row locks (set DATABASE_URL to run)"
)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Copied results and uploads go to a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters live in the cache; ids repeat between tests on SQLite, so counts from
    one test would otherwise throttle the next."""
    cache.clear()
    table_cache.clear_all()
    throttles.reset()
    polling.forget()
    health.forget()
    yield
    cache.clear()
    table_cache.clear_all()
    health.forget()
    throttles.reset()
    polling.forget()


@pytest.fixture
def alice(db):
    return make_user("alice@example.org")


@pytest.fixture
def bob(db):
    return make_user("bob@example.org")


@pytest.fixture
def vera(db):
    return make_user("vera@example.org")


@pytest.fixture
def charlie(db):
    return make_user("charlie@example.org")


@pytest.fixture
def tenant(alice, bob, vera):
    t = make_tenant("Alice's Team", owner=alice)
    add_member(t, bob, Role.MEMBER)
    add_member(t, vera, Role.VIEWER)
    return t


@pytest.fixture
def other_tenant(charlie):
    return make_tenant("Charlie's Team", owner=charlie)


@pytest.fixture
def api_key(tenant):
    """(ApiKey, secret) for alice's tenant."""
    return make_api_key(tenant, "alice key")


@pytest.fixture
def other_api_key(other_tenant):
    return make_api_key(other_tenant, "charlie key")


@pytest.fixture
def api_client(api_key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key[1]}")
    return client


@pytest.fixture
def other_api_client(other_api_key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {other_api_key[1]}")
    return client


@pytest.fixture
def sandbox(settings, db):
    """Every provider pointed at the in-process sandbox (delay 0): requests the shared transport
    sends to SITE_URL are served by this Django process. Yields a Harness with `client`,
    `deliver_due_callbacks()` and `tasks`; move time with time-machine to see queued/running."""
    from generations.sandbox.testing import harness

    with harness(settings) as h:
        yield h
