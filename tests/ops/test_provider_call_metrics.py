"""Every provider call is timed and counted per provider, and logged with the job it is for."""

from __future__ import annotations

import logging

import httpx
import pytest
from prometheus_client import REGISTRY

from generations.providers import transport
from generations.providers.base import ProviderError
from ops.logs import bind


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture(autouse=True)
def _no_waiting(monkeypatch, settings):
    monkeypatch.setattr(transport, "sleep", lambda seconds: None)
    settings.PROVIDER_HTTP_MAX_ATTEMPTS = 2


def test_a_call_is_timed_under_its_provider_and_logged_with_its_job(respx_mock, settings, caplog):
    url = f"{settings.KIE_BASE_URL}/api/v1/jobs/recordInfo"
    respx_mock.get(url).mock(return_value=httpx.Response(200, json={"code": 200}))
    before = sample("seedance_provider_call_seconds_count", provider="kie", outcome="ok")
    caplog.set_level(logging.INFO, logger="generations.providers.transport")
    with bind(generation_id="gen_test", tenant_id=7):
        transport.send(httpx.Request("GET", url))
    assert sample("seedance_provider_call_seconds_count", provider="kie", outcome="ok") == before + 1
    line = next(r for r in caplog.records if r.name == "generations.providers.transport")
    assert line.provider == "kie" and line.http_status == 200
    assert line.generation_id == "gen_test" and line.tenant_id == 7


def test_a_failed_call_counts_as_an_error_with_its_code(respx_mock, settings):
    url = f"{settings.ARK_BASE_URL}/contents/generations/tasks"
    respx_mock.post(url).mock(return_value=httpx.Response(503))
    before = sample("seedance_provider_call_errors_total", provider="ark", code="provider_unavailable")
    with pytest.raises(ProviderError):
        transport.send(httpx.Request("POST", url))
    assert (
        sample("seedance_provider_call_errors_total", provider="ark", code="provider_unavailable")
        == before + 1
    )
