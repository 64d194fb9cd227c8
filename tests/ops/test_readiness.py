"""/readyz names the part that is not well, and recovers when it is back; /healthz stays up."""

from __future__ import annotations

import subprocess
import time
from datetime import timedelta

import pytest
import redis
from botocore.config import Config
from django.db import OperationalError
from django.utils import timezone

from ops import heartbeats
from ops.models import Heartbeat
from tests.s3 import MotoServer, free_port, use_s3

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _files_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def alive():
    heartbeats.beat("worker")
    heartbeats.beat("poller")


def ready(client):
    response = client.get("/readyz")
    return response.status_code, response.json()


def test_all_parts_well_is_200(client, alive):
    status, body = ready(client)
    assert status == 200, body
    assert body["status"] == "ok" and body["failing"] == []
    assert body["checks"] == {
        "database": "ok",
        "redis": "not configured",
        "storage": "ok",
        "worker": "ok",
        "poller": "ok",
    }


@pytest.mark.parametrize("role", ["worker", "poller"])
def test_a_stale_heartbeat_fails_readiness_until_it_beats_again(client, alive, role, settings):
    settings.HEARTBEAT_MAX_AGE_SECONDS = 60
    Heartbeat.objects.filter(role=role).update(seen_at=timezone.now() - timedelta(seconds=61))
    status, body = ready(client)
    assert status == 503
    assert body["failing"] == [role]
    assert f"newest {role} heartbeat is 61 s old" in body["checks"][role]
    heartbeats.beat(role)
    assert ready(client)[0] == 200


def test_a_role_that_never_beat_is_not_ready(client):
    heartbeats.beat("worker")
    status, body = ready(client)
    assert status == 503 and body["failing"] == ["poller"]
    assert body["checks"]["poller"] == "no poller has ever sent a heartbeat"


def test_the_database_down_is_named(client, alive, monkeypatch):
    from django.db.backends.utils import CursorWrapper

    def broken(self, sql, params=None):
        raise OperationalError("server closed")

    monkeypatch.setattr(CursorWrapper, "execute", broken)
    status, body = ready(client)
    assert status == 503 and "database" in body["failing"]


@pytest.fixture
def redis_server():
    """A redis-server of our own on a free loopback port, to stop and start again."""
    port = free_port()
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]

    class Server:
        url = f"redis://127.0.0.1:{port}/0"
        process = None

        def start(self):
            self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
            for _ in range(100):
                try:
                    redis.Redis.from_url(self.url).ping()
                    return
                except redis.ConnectionError:
                    time.sleep(0.05)
            raise RuntimeError("redis-server did not start")

        def stop(self):
            self.process.terminate()
            self.process.wait(timeout=10)

    server = Server()
    server.start()
    yield server
    server.stop()


def test_redis_down_fails_readiness_and_recovers(client, alive, settings, redis_server):
    settings.REDIS_URL = redis_server.url
    assert ready(client)[1]["checks"]["redis"] == "ok"
    redis_server.stop()
    status, body = ready(client)
    assert status == 503 and body["failing"] == ["redis"]
    assert "Unable to connect to Redis" in body["checks"]["redis"]
    redis_server.start()
    assert ready(client)[0] == 200


def test_storage_unreachable_fails_readiness_and_recovers(client, alive, settings):
    server = MotoServer().start()
    try:
        use_s3(settings, server, server.new_bucket())
        settings.AWS_S3_CLIENT_CONFIG = Config(connect_timeout=1, read_timeout=2, retries={"max_attempts": 1})
        assert ready(client)[0] == 200
        server.stop()
        status, body = ready(client)
        assert status == 503 and body["failing"] == ["storage"]
        assert "Connect" in body["checks"]["storage"] or "connect" in body["checks"]["storage"]
        server.start()
        use_s3(settings, server, server.new_bucket())  # a restarted moto starts empty
        assert ready(client)[0] == 200
    finally:
        server.stop()


def test_healthz_is_liveness_only(client, monkeypatch):
    from django.db.backends.utils import CursorWrapper

    monkeypatch.setattr(
        CursorWrapper, "execute", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("db down"))
    )
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
