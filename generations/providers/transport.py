"""The one place provider requests are sent: one shared httpx.Client, timeouts, bounded retries.

Adapters build requests and parse responses; `send()` is the only I/O. Policy:

- connect errors, HTTP 429 and 5xx are retried up to PROVIDER_HTTP_MAX_ATTEMPTS times with
  exponential backoff, or after the server's `Retry-After` when it sends one. A `Retry-After`
  longer than PROVIDER_RETRY_AFTER_MAX_SECONDS is not slept in-process: we give up at once and
  pass it on as `ProviderError.retry_after`, so the caller can reschedule instead of blocking
  a worker.
- When the retries are exhausted: ProviderError(retryable=True, task_created=False). The
  provider answered (or could not be reached), so it did not start a task.
- A read timeout (or a dropped connection) after the request went out is *ambiguous*: the
  provider may have created the task. That is never retried here and raises
  ProviderError(retryable=True, code="timeout", task_created=None); the caller must not
  resubmit the job elsewhere blindly (no provider offers an idempotency key).
- Any other response, including 4xx, is returned for the adapter to parse.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import parsedate_to_datetime

import httpx
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from generations.providers.base import ProviderError
from ops.metrics import PROVIDER_CALL_ERRORS, PROVIDER_CALL_SECONDS

logger = logging.getLogger("generations.providers.transport")

# Module attributes so tests can monkeypatch them (no real waiting in the test suite).
sleep = time.sleep
clock = time.time

BACKOFF_BASE_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 8.0

_client: httpx.Client | None = None


class SimulatedTimeout(Exception):
    """Raised by an in-process app (the sandbox) to make `send()` behave as if the read timed out.

    Only the in-process transport (`in_process_transport`) turns it into httpx.ReadTimeout; a
    real server never sees it.
    """


def _timeout() -> httpx.Timeout:
    return httpx.Timeout(
        connect=settings.PROVIDER_HTTP_CONNECT_TIMEOUT,
        read=settings.PROVIDER_HTTP_READ_TIMEOUT,
        write=settings.PROVIDER_HTTP_READ_TIMEOUT,
        pool=settings.PROVIDER_HTTP_CONNECT_TIMEOUT,
    )


def get_client() -> httpx.Client:
    """The shared client (connection pooling across all providers), created on first use."""
    global _client
    if _client is None:
        _client = httpx.Client(timeout=_timeout(), follow_redirects=False)
    return _client


@contextmanager
def use_client(client: httpx.Client) -> Iterator[httpx.Client]:
    """Route every `send()` through `client` for the duration (tests, the in-process sandbox)."""
    global _client
    previous = _client
    _client = client
    try:
        yield client
    finally:
        _client = previous


@receiver(setting_changed)
def _reset_on_timeout_change(*, setting, **kwargs):
    global _client
    if setting in ("PROVIDER_HTTP_CONNECT_TIMEOUT", "PROVIDER_HTTP_READ_TIMEOUT") and _client is not None:
        _client = None


class InProcessTransport(httpx.WSGITransport):
    """httpx.WSGITransport that marks requests as in-process and turns SimulatedTimeout into a
    read timeout, so `[sandbox:timeout]` is testable without waiting for a real one."""

    HEADER = "X-Sandbox-In-Process"

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.headers[self.HEADER] = "1"
        try:
            return super().handle_request(request)
        except SimulatedTimeout as exc:
            raise httpx.ReadTimeout("simulated read timeout", request=request) from exc


def retry_after_seconds(response: httpx.Response) -> float | None:
    """`Retry-After` as seconds (delta-seconds or an HTTP date), or None."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - clock())
    except (TypeError, ValueError):
        return None


def _backoff(attempt: int) -> float:
    return min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1))


def _describe(request: httpx.Request) -> str:
    # Never log headers: they carry the API key.
    return f"{request.method} {request.url.copy_with(query=None)}"


def provider_of(request: httpx.Request) -> str:
    """The provider slug whose configured base URL the request goes to (the longest match; on a
    tie, as in development where several point at the sandbox, the first configured), for
    metrics and logs; "unknown" for anything else."""
    url = str(request.url)
    matches = [
        (len(base), -index, slug)
        for index, slug in enumerate(settings.PROVIDER_SANDBOX_PATHS)
        if (base := getattr(settings, f"{slug.upper()}_BASE_URL", "")) and url.startswith(base)
    ]
    return max(matches)[2] if matches else "unknown"


def send(request: httpx.Request) -> httpx.Response:
    """Send `request` (see `_send`), timed and counted per provider (ops.metrics) and logged."""
    provider = provider_of(request)
    started = time.monotonic()
    try:
        response = _send(request)
    except ProviderError as error:
        elapsed = time.monotonic() - started
        PROVIDER_CALL_SECONDS.labels(provider, "error").observe(elapsed)
        PROVIDER_CALL_ERRORS.labels(provider, error.code).inc()
        logger.warning(
            "%s: %s failed after %.3f s (%s)",
            provider,
            _describe(request),
            elapsed,
            error.code,
            extra={"provider": provider, "duration_s": round(elapsed, 3), "error_code": error.code},
        )
        raise
    elapsed = time.monotonic() - started
    outcome = "ok" if response.status_code < 400 else f"http_{response.status_code // 100}xx"
    PROVIDER_CALL_SECONDS.labels(provider, outcome).observe(elapsed)
    logger.info(
        "%s: %s -> HTTP %s in %.3f s",
        provider,
        _describe(request),
        response.status_code,
        elapsed,
        extra={"provider": provider, "duration_s": round(elapsed, 3), "http_status": response.status_code},
    )
    return response


def _send(request: httpx.Request) -> httpx.Response:
    """Send `request` with the retry policy above. Returns the response or raises ProviderError."""
    attempts = max(1, settings.PROVIDER_HTTP_MAX_ATTEMPTS)
    retry_after_cap = settings.PROVIDER_RETRY_AFTER_MAX_SECONDS
    failure = ""
    retry_after: float | None = None
    for attempt in range(1, attempts + 1):
        try:
            response = get_client().send(request)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # Nothing reached the provider: safe to retry, and certainly no task was created.
            failure, retry_after, wait = f"could not connect ({type(exc).__name__}: {exc})", None, None
        except (httpx.ReadTimeout, httpx.WriteTimeout, httpx.RemoteProtocolError, httpx.ReadError) as exc:
            logger.warning("%s: no usable answer after sending (%s)", _describe(request), exc)
            raise ProviderError(
                f"The provider did not answer in time ({type(exc).__name__}); it may still have "
                "accepted the request.",
                retryable=True,
                code="timeout",
                task_created=None,
            ) from exc
        else:
            if response.status_code != 429 and response.status_code < 500:
                return response
            failure = f"HTTP {response.status_code}: {response.text[:200]}"
            retry_after = wait = retry_after_seconds(response)
            if wait is not None and wait > retry_after_cap:
                logger.warning("%s: Retry-After %.0f s exceeds the cap; giving up", _describe(request), wait)
                break
        if attempt < attempts:
            delay = wait if wait is not None else _backoff(attempt)
            logger.info("%s failed (%s); retry %d in %.1f s", _describe(request), failure, attempt, delay)
            sleep(delay)
    raise ProviderError(
        f"Provider unavailable after {attempt} attempt(s): {failure}",
        retryable=True,
        code="provider_unavailable",
        retry_after=retry_after,
        task_created=False,
    )


def post(url: str, content: bytes, headers: dict[str, str]) -> httpx.Response:
    """POST raw bytes through `send()` (the sandbox delivers its callbacks this way)."""
    return send(httpx.Request("POST", url, content=content, headers=headers))
