"""Generic create / status / cancel views; each protocol supplies its shapes and checks.

Fault markers in the prompt: [sandbox:fail] [sandbox:expire] [sandbox:slow] [sandbox:nocallback]
(task behaviour), [sandbox:5xx] and [sandbox:429] (the create call answers 500 / 429 with
Retry-After once per prompt), [sandbox:timeout] (the task is created but the create call never
answers usably), [sandbox:malformed] (status answers are broken JSON). See docs/providers.md.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from generations.providers.transport import InProcessTransport, SimulatedTimeout
from generations.sandbox import callbacks
from generations.sandbox.models import Phase, SandboxFault, SandboxTask, markers
from generations.sandbox.protocols import PROTOCOLS, Protocol

# Monkeypatchable: how a create call "hangs" on a real server for [sandbox:timeout].
sleep = time.sleep

SLOW_MIN_SECONDS = 30.0


def _authorized(request) -> bool:
    expected = f"Bearer {settings.SANDBOX_API_KEY}"
    return hmac.compare_digest(request.headers.get("Authorization", ""), expected)


def _fire_once(provider: str, marker: str, prompt: str) -> bool:
    """True the first time this (provider, marker, prompt) is seen."""
    key = hashlib.sha256(f"{provider}\0{marker}\0{prompt}".encode()).hexdigest()
    try:
        with transaction.atomic():
            SandboxFault.objects.create(key=key)
    except IntegrityError:
        return False
    return True


def _delay(prompt_markers: set[str]) -> float:
    """How long the task takes: SANDBOX_DELAY_SECONDS, varied by up to ±SANDBOX_DELAY_SPREAD of
    itself (uniformly), as real jobs vary; ten times as long (at least 30 s) for [sandbox:slow]."""
    base = max(0.0, settings.SANDBOX_DELAY_SECONDS)
    spread = min(max(settings.SANDBOX_DELAY_SPREAD, 0.0), 1.0)
    delay = base * random.uniform(1 - spread, 1 + spread)
    return max(delay * 10, SLOW_MIN_SECONDS) if "slow" in prompt_markers else delay


def _hang(request) -> HttpResponse:
    if request.headers.get(InProcessTransport.HEADER):
        raise SimulatedTimeout("[sandbox:timeout]")
    # A real server: stay silent past the client's read timeout, then give up.
    sleep(settings.PROVIDER_HTTP_READ_TIMEOUT + 1)
    return HttpResponse(status=504)


@csrf_exempt
def create(request, provider: str, endpoint: str | None = None):
    protocol: Protocol = PROTOCOLS[provider]
    if request.method != "POST":
        return protocol.error(405, "POST only")
    if not _authorized(request):
        return protocol.error(401, "The API key is missing or invalid.")
    try:
        body = json.loads(request.body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return protocol.error(protocol.invalid_status, "The request body is not valid JSON.")
    if not isinstance(body, dict):
        return protocol.error(protocol.invalid_status, "The request body must be a JSON object.")
    problems = protocol.validate(body, provider=provider, endpoint=endpoint)
    if problems:
        field = problems[0].split(":")[0]
        return protocol.error(protocol.invalid_status, "; ".join(problems), field=field)

    prompt = protocol.prompt(body)
    prompt_markers = markers(prompt)
    if "5xx" in prompt_markers and _fire_once(provider, "5xx", prompt):
        return protocol.error(500, "Sandbox: simulated server error ([sandbox:5xx]).")
    if "429" in prompt_markers and _fire_once(provider, "429", prompt):
        response = protocol.error(429, "Sandbox: simulated rate limit ([sandbox:429]).")
        response["Retry-After"] = "1"
        return response

    task = SandboxTask.objects.create(
        id=protocol.new_id(),
        provider=provider,
        prompt=prompt,
        request=body,
        callback_url=protocol.callback_url(body),
        delay_seconds=_delay(prompt_markers),
    )
    callbacks.schedule(task)  # sent when the task finishes, as a provider does
    if "timeout" in prompt_markers:
        return _hang(request)  # the task exists, but the caller never learns its id
    return protocol.created(task)


def _task(provider: str, task_id: str | None) -> SandboxTask | None:
    # kie and apikley share a protocol but not their tasks: an id is only valid where it was made.
    return SandboxTask.objects.filter(provider=provider, pk=task_id or "").first()


@csrf_exempt
def task(request, provider: str, task_id: str | None = None, query: str | None = None):
    """GET: the task's status (and its callback once terminal); DELETE: cancel (Ark only)."""
    protocol: Protocol = PROTOCOLS[provider]
    if not _authorized(request):
        return protocol.error(401, "The API key is missing or invalid.")
    task_id = task_id or request.GET.get(query or "")
    found = _task(provider, task_id)
    if found is None:
        return protocol.not_found(task_id or "")
    if request.method == "DELETE" and provider in ("ark", "kkiai"):
        return _cancel(protocol, found)
    if request.method != "GET":
        return protocol.error(405, "GET only")
    if "malformed" in found.markers:
        return HttpResponse(b'{"status": "runn', content_type="application/json")
    return JsonResponse(protocol.render(found, timezone.now()))


def _cancel(protocol: Protocol, found: SandboxTask) -> HttpResponse:
    """Ark: a queued task is cancelled; a finished one is deleted; a running one cannot be."""
    phase = found.phase()
    if phase == Phase.QUEUED:
        found.cancelled_at = timezone.now()
        found.save(update_fields=["cancelled_at"])
        return JsonResponse({})
    if phase in (Phase.SUCCEEDED, Phase.FAILED, Phase.EXPIRED):
        found.delete()
        return JsonResponse({})
    return protocol.error(400, f"A {phase} task cannot be cancelled.", field="status")
