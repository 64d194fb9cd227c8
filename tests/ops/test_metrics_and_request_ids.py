"""/metrics behind METRICS_TOKEN, with our gauges; X-Request-ID in and out, and on log lines."""

from __future__ import annotations

import logging

import pytest

from generations.models import Status
from tests.factories import fund, make_generation

pytestmark = pytest.mark.django_db


def test_metrics_are_off_without_a_token(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404


def test_metrics_need_the_bearer_token(client, settings):
    settings.METRICS_TOKEN = "s3cret-token"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401


def test_metrics_show_jobs_credits_and_requests(client, settings, tenant):
    settings.METRICS_TOKEN = "s3cret-token"
    fund(tenant, 100)
    make_generation(tenant, hold=30, provider="sandbox")
    client.get("/healthz")
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert response.status_code == 200
    text = response.content.decode()
    assert f'seedance_generations_open{{provider="sandbox",state="{Status.PENDING}"}} 1.0' in text
    assert "seedance_credits_held 30.0" in text
    assert "seedance_poll_lag_seconds" in text
    assert "seedance_queue_depth" in text
    assert "django_http_requests_total_by_method_total" in text
    for name in (
        "seedance_provider_call_seconds",
        "seedance_mirror_bytes_total",
        "seedance_callback_to_visible_seconds",
    ):
        assert f"# TYPE {name.removesuffix('_total')}" in text


def test_a_request_id_is_taken_returned_and_logged(client, caplog):
    caplog.set_level(logging.INFO, logger="ops.access")
    response = client.get("/accounts/login/", HTTP_X_REQUEST_ID="lb-1234-abcd")
    assert response["X-Request-ID"] == "lb-1234-abcd"
    line = next(r for r in caplog.records if r.name == "ops.access")
    assert line.request_id == "lb-1234-abcd" and line.status == 200


def test_a_missing_or_malformed_request_id_gets_a_fresh_one(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\nwith newline")["X-Request-ID"]
    assert len(first) == 32 and len(second) == 32 and first != second


def test_the_access_line_of_a_provider_callback_hides_its_token(client, caplog):
    caplog.set_level(logging.INFO, logger="ops.access")
    client.post("/callbacks/kie/SeCrEtToKeN123/", data=b"{}", content_type="application/json")
    line = next(r for r in caplog.records if r.name == "ops.access")
    assert "SeCrEtToKeN123" not in line.getMessage() and "SeCrEtToKeN123" not in line.path
    assert line.path == "/callbacks/kie/[token]/"
