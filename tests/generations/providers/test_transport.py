"""The shared transport: retries, Retry-After, connect errors, and the ambiguous timeout."""

from __future__ import annotations

import httpx
import pytest

from generations.providers import transport
from generations.providers.base import ProviderError

URL = "https://provider.test/create"


@pytest.fixture
def slept(monkeypatch, settings):
    settings.PROVIDER_HTTP_MAX_ATTEMPTS = 3
    settings.PROVIDER_RETRY_AFTER_MAX_SECONDS = 30
    waits: list[float] = []
    monkeypatch.setattr(transport, "sleep", waits.append)
    return waits


def serve(*answers):
    """A client whose successive calls get `answers` (responses or exceptions to raise)."""
    calls = []
    queue = list(answers)

    def handler(request):
        calls.append(request)
        answer = queue.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return transport.use_client(httpx.Client(transport=httpx.MockTransport(handler))), calls


def post():
    return transport.send(httpx.Request("POST", URL, json={"prompt": "A cat"}))


def test_a_5xx_is_retried_with_backoff_then_succeeds(slept):
    client, calls = serve(httpx.Response(502), httpx.Response(500), httpx.Response(200, json={"id": "t"}))
    with client:
        assert post().json() == {"id": "t"}
    assert len(calls) == 3
    assert slept == [0.5, 1.0]


def test_a_429_waits_as_long_as_retry_after_says(slept):
    client, _calls = serve(httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, json={}))
    with client:
        assert post().status_code == 200
    assert slept == [7.0]


def test_a_retry_after_beyond_the_cap_is_handed_back_instead_of_slept(slept):
    client, calls = serve(httpx.Response(429, headers={"Retry-After": "120"}))
    with client, pytest.raises(ProviderError) as exc:
        post()
    assert (exc.value.retryable, exc.value.retry_after, exc.value.task_created) == (True, 120.0, False)
    assert slept == [] and len(calls) == 1


def test_retries_are_bounded(slept):
    client, calls = serve(*[httpx.Response(503, text="down")] * 3)
    with client, pytest.raises(ProviderError) as exc:
        post()
    assert len(calls) == 3
    assert exc.value.retryable and exc.value.task_created is False
    assert "503" in exc.value.message


def test_a_connect_error_is_retried(slept):
    client, calls = serve(httpx.ConnectError("refused"), httpx.Response(200, json={}))
    with client:
        assert post().status_code == 200
    assert len(calls) == 2


def test_a_read_timeout_is_ambiguous_and_never_resent(slept):
    client, calls = serve(httpx.ReadTimeout("slow"), httpx.Response(200, json={}))
    with client, pytest.raises(ProviderError) as exc:
        post()
    assert (exc.value.code, exc.value.retryable, exc.value.task_created) == ("timeout", True, None)
    assert len(calls) == 1


def test_a_4xx_is_returned_for_the_adapter_to_read(slept):
    client, _calls = serve(httpx.Response(400, json={"error": {"code": "InvalidParameter"}}))
    with client:
        assert post().status_code == 400
    assert slept == []


def test_retry_after_as_an_http_date(monkeypatch):
    monkeypatch.setattr(transport, "clock", lambda: 1_700_000_000.0)
    response = httpx.Response(429, headers={"Retry-After": "Tue, 14 Nov 2023 22:13:30 GMT"})
    assert transport.retry_after_seconds(response) == 10.0
