"""Provider callbacks: POST /callbacks/<provider>/<token>/.

The token is per generation and unguessable, so the URL itself says which job the body is
about. A callback is only a wake-up, signed or not: nothing in its body (state, video URL) is
acted on. It names the task; a worker then fetches the task's status from the provider's own
API (`tasks.poll_generation`, the poller's call) and applies that through the lifecycle. Kie's
signature covers only `taskId.timestamp`, so even a signed body could have been swapped.

Refusals are logged and change nothing: unknown token 404, unreadable body 400, bad signature
401, a signature already used 409 (remembered REPLAY_MEMORY in the cache). Everything else
answers 200 at once, so providers stop retrying; if the status fetch then fails, the job stays
as it was and the poller asks again on its schedule.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

from django.core.cache import cache
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from generations import lifecycle, polling, providers
from generations.models import Generation, GenerationEvent, Mirror, Status
from generations.providers.base import Callback, CallbackRejected
from seedance_site import validators
from seedance_site.errors import DomainError, error_body

log = logging.getLogger(__name__)

# How long a used signature is remembered: well past the ±5 min window Kie's timestamps are
# accepted in (generations.providers.kie.SIGNATURE_MAX_AGE_SECONDS), so every replay that
# could still verify is caught.
REPLAY_MEMORY = timedelta(minutes=15)


@csrf_exempt
@require_POST
def provider_callback(request, provider: str, token: str):
    generation = Generation.objects.filter(callback_token=token, provider=provider).first()
    if generation is None:
        log.warning("callback for unknown token at provider %s", provider)
        return JsonResponse(error_body("not_found", "Unknown callback URL."), status=404)
    try:
        adapter = providers.get_adapter(provider)
    except DomainError:
        log.warning("callback for %s at disabled provider %s", generation.id, provider)
        return JsonResponse(error_body("not_found", "Unknown callback URL."), status=404)
    try:
        validators.parse_json(request.body)  # the shared rules (nesting depth) before the adapter's
    except validators.MalformedBody as error:
        log.warning("callback for %s refused (malformed_request): %s", generation.id, error.message)
        return JsonResponse(error_body("malformed_callback", error.message, error.details), status=400)
    try:
        callback = adapter.parse_callback(request.body, request.headers)
    except CallbackRejected as error:
        status = 401 if error.code == "bad_signature" else 400
        log.warning("callback for %s refused (%s): %s", generation.id, error.code, error.message)
        return JsonResponse(error_body(error.code, error.message), status=status)
    if generation.provider_task_id and callback.task_id != generation.provider_task_id:
        log.warning(
            "callback for %s names task %s, expected %s",
            generation.id,
            callback.task_id,
            generation.provider_task_id,
        )
        return JsonResponse(error_body("task_mismatch", "The callback is about another task."), status=400)
    replay = _replay_cache_key(provider, callback)
    if replay and not cache.add(replay, True, timeout=REPLAY_MEMORY.total_seconds()):
        log.warning("callback for %s refused (replayed_signature)", generation.id)
        return JsonResponse(
            error_body("replayed_signature", "This callback signature was already used."), status=409
        )
    try:
        _wake(generation, callback, provider)
    except Exception:
        if replay:
            cache.delete(replay)  # not acted on: the provider's retry with it must still work
        raise
    return JsonResponse({"ok": True})


def _replay_cache_key(provider: str, callback: Callback) -> str | None:
    """The cache key that marks a signed delivery as used; None for an unsigned one."""
    if not callback.replay_key:
        return None
    digest = hashlib.sha256(callback.replay_key.encode()).hexdigest()
    return f"callback-signature:{provider}:{digest}"


def _wake(generation: Generation, callback: Callback, provider: str) -> None:
    """Record the callback, take up a lost submission it reveals, and ask for a status fetch."""
    signed = callback.replay_key is not None
    GenerationEvent.record(
        generation,
        GenerationEvent.Kind.CALLBACK,
        f"Callback from {provider} says {callback.claimed!r}: checking with the provider",
        {"task_id": callback.task_id, "claimed": callback.claimed, "signed": signed, "body": callback.raw},
    )
    if not generation.provider_task_id and generation.status == Status.PENDING:
        # The create call's answer was lost (timeout, dead worker): this names the task.
        generation = lifecycle.adopt(generation.id, callback.task_id)
    if generation.status in (Status.QUEUED, Status.RUNNING) and generation.mirror_state == Mirror.NONE:
        polling.poll_soon(generation)
