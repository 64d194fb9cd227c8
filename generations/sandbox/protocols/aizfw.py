"""aizfw kyyAiPower videos API ("Seedance Create Video Task"): Seedance 1.5 Pro and 2.0 models."""

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
from generations.sandbox.protocols.base import Protocol, check_bools, check_unknown, is_int, video_url
from generations.spec import is_chinese, prompt_words

MODELS_1_5 = ("seedance_1_5_pro_480p", "seedance_1_5_pro_720p", "seedance_1_5_pro_1080p")
# Seedance 2.0: the model names its duration band.
MODELS_2_0 = {"seedance_2_0_4s_5s": (4, 5), "seedance_2_0_6s_10s": (6, 10), "seedance_2_0_11s_15s": (11, 15)}
MODELS = (*MODELS_1_5, *MODELS_2_0)
# "Text prompt, Chinese up to 500 characters, English up to 1000 words".
CHINESE_MAX_CHARS, ENGLISH_MAX_WORDS = 500, 1000
STATES = {
    Phase.QUEUED: "queued",
    Phase.RUNNING: "processing",
    Phase.SUCCEEDED: "completed",
    Phase.FAILED: "failed",
    Phase.EXPIRED: "failed",  # no expired state at aizfw
    Phase.CANCELLED: "cancelled",
}


def _prompt_limits(text: str) -> list[str]:
    if is_chinese(text):
        if len(text) > CHINESE_MAX_CHARS:
            return [f"content.text: Chinese up to {CHINESE_MAX_CHARS} characters (got {len(text)})"]
    elif prompt_words(text) > ENGLISH_MAX_WORDS:
        return [f"content.text: English up to {ENGLISH_MAX_WORDS} words (got {prompt_words(text)})"]
    return []


class AizfwProtocol(Protocol):
    name = "aizfw"

    def error(self, http_status: int, message: str, field: str | None = None) -> JsonResponse:
        # Undocumented; OpenAI-style like the rest of this API's shapes (inferred).
        error = {"message": message, "type": "invalid_request_error", "param": field, "code": http_status}
        return JsonResponse({"error": error}, status=http_status)

    def validate(self, body: dict, *, provider: str, endpoint: str | None) -> list[str]:
        problems = check_unknown(body, {"model", "content", "ratio", "duration", "generate_audio"})
        model = body.get("model")
        if model not in MODELS:
            problems.append(f"model: one of {', '.join(MODELS)}")
        # The doc says "Image URL"; whether data URIs work is unknown, so the sandbox refuses them.
        reference_images = 4 if model in MODELS_2_0 else 0
        problems += check_content(body.get("content"), data_uri=False, reference_images=reference_images)
        if isinstance(body.get("content"), list):
            problems += _prompt_limits(prompt_of(body))
        if model in MODELS_2_0:
            low, high = MODELS_2_0[model]
            duration = body.get("duration", 5)
            if not is_int(duration) or not low <= duration <= high:
                problems.append(f"duration: {low}-{high} for {model}")
            if body.get("generate_audio"):
                problems.append("generate_audio: only the Seedance 1.5 pro series generates audio")
            problems += check_ratio_duration({k: v for k, v in body.items() if k != "duration"})
        else:
            problems += check_ratio_duration(body)
        return problems + check_bools(body, ("generate_audio",))

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
