"""Provider callbacks: POST /callbacks/<provider>/<token>/.

The token is per generation and unguessable, so the URL itself says which job the body is
about. Only a signed callback (Kie with a signing key) is trusted as is; any other callback is
a hint that makes us fetch the task's status from the provider (off the request, in a task).
Refusals are logged and change nothing: unknown token 404, unreadable body 400, bad signature
401. Everything else answers 200 at once, duplicates included, so providers stop retrying.
"""

from __future__ import annotations

import logging

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from generations import lifecycle, polling, providers
from generations.models import Generation, GenerationEvent, Status
from generations.providers.base import CallbackRejected
from seedance_site import validators
from seedance_site.errors import DomainError, error_body

log = logging.getLogger(__name__)


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
        task_id, update = adapter.parse_callback(request.body, request.headers)
    except CallbackRejected as error:
        status = 401 if error.code == "bad_signature" else 400
        log.warning("callback for %s refused (%s): %s", generation.id, error.code, error.message)
        return JsonResponse(error_body(error.code, error.message), status=status)
    if generation.provider_task_id and task_id != generation.provider_task_id:
        log.warning(
            "callback for %s names task %s, expected %s", generation.id, task_id, generation.provider_task_id
        )
        return JsonResponse(error_body("task_mismatch", "The callback is about another task."), status=400)

    signed = adapter.callbacks_are_signed
    GenerationEvent.record(
        generation,
        GenerationEvent.Kind.CALLBACK,
        f"Callback from {provider}: {update.state}"
        + ("" if signed else " (unsigned: checking with the provider)"),
        {"task_id": task_id, "state": update.state, "signed": signed, "body": update.raw},
    )
    if not generation.provider_task_id and generation.status == Status.PENDING:
        # The create call's answer was lost (timeout, dead worker): this names the task.
        generation = lifecycle.adopt(generation.id, task_id)
    if signed:
        try:
            lifecycle.provider_update(generation.id, update, source="callback")
        except lifecycle.StaleUpdate:
            pass  # a duplicate or late callback: already acted on
    else:
        polling.poll_soon(generation)
    return JsonResponse({"ok": True})
