"""aizfw kyyAiPower videos API (seed 003)."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.http import JsonResponse

from generations.sandbox.models import Phase, SandboxTask
from generations.sandbox.protocols.ark import (
    AUTO_DURATION_PICK,
    check_content,
    check_ratio_duration,
    prompt_of,
)
from generations.sandbox.protocols.base import Protocol, check_bools, check_unknown, video_url

MODELS = ("seedance_1_5_pro_480p", "seedance_1_5_pro_720p", "seedance_1_5_pro_1080p")
STATES = {
    Phase.QUEUED: "queued",
    Phase.RUNNING: "processing",
    Phase.SUCCEEDED: "completed",
    Phase.FAILED: "failed",
    Phase.EXPIRED: "failed",  # no expired state at aizfw
    Phase.CANCELLED: "cancelled",
}


class AizfwProtocol(Protocol):
    name = "aizfw"

    def error(self, http_status: int, message: str, field: str | None = None) -> JsonResponse:
        # Undocumented; OpenAI-style like the rest of this API's shapes (inferred).
        error = {"message": message, "type": "invalid_request_error", "param": field, "code": http_status}
        return JsonResponse({"error": error}, status=http_status)

    def validate(self, body: dict, *, provider: str, endpoint: str | None) -> list[str]:
        problems = check_unknown(body, {"model", "content", "ratio", "duration", "generate_audio"})
        if body.get("model") not in MODELS:
            problems.append(f"model: one of {', '.join(MODELS)}")
        # The doc says "Image URL"; whether data URIs work is unknown, so the sandbox refuses them.
        problems += check_content(body.get("content"), data_uri=False)
        return problems + check_ratio_duration(body) + check_bools(body, ("generate_audio",))

    def prompt(self, body: dict) -> str:
        return prompt_of(body)

    def new_id(self) -> str:
        return f"video_{secrets.token_hex(6)}"

    def _head(self, task: SandboxTask, status: str) -> dict:
        return {
            "id": task.id,
            "object": "video",
            "created": int(task.created_at.timestamp()),
            "model": task.request["model"],
            "status": status,
        }

    def created(self, task: SandboxTask) -> JsonResponse:
        return JsonResponse(self._head(task, "queued"))

    def render(self, task: SandboxTask, now: datetime) -> dict:
        phase = task.phase(now)
        body = {**self._head(task, STATES[phase]), "video_url": None, "error": None}
        if phase == Phase.SUCCEEDED:
            duration = task.request.get("duration", 5)
            body.update(
                video_url=video_url(), actualDuration=AUTO_DURATION_PICK if duration == -1 else duration
            )
        elif phase == Phase.FAILED:
            body["error"] = "Sandbox: generation failed ([sandbox:fail])."
        elif phase == Phase.EXPIRED:
            body["error"] = "Sandbox: task expired ([sandbox:expire])."
        return body
