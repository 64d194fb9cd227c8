import pytest
from django.db.backends.utils import CursorWrapper

pytestmark = pytest.mark.django_db


def test_healthz_answers_200_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["db"] == "ok"
    assert body["queue"].startswith("ok")


def test_healthz_answers_503_when_the_database_does_not(client, monkeypatch):
    def broken(self, sql, params=None):
        raise RuntimeError("database went away")

    monkeypatch.setattr(CursorWrapper, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["db"].startswith("error")
