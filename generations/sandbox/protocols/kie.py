"""Kie.ai / Apikley market jobs, as seeds 000 and 001 document them."""

from __future__ import annotations

import json
import secrets
import time
from datetime import datetime

from django.conf import settings
from django.http import JsonResponse

from generations.providers.kie import MODEL, sign
from generations.sandbox.models import Phase, SandboxTask
from generations.sandbox.protocols.base import (
    Protocol,
    check_bools,
    check_image,
    check_unknown,
    is_http_url,
    is_int,
    ms,
    video_url,
)

RATIOS = ("1:1", "21:9", "4:3", "3:4", "16:9", "9:16")  # no "adaptive" at Kie
INPUT_FIELDS = {
    "prompt",
    "input_urls",
    "aspect_ratio",
    "resolution",
    "duration",
    "fixed_lens",
    "generate_audio",
}

STATES = {
    Phase.RUNNING: "generating",
    Phase.SUCCEEDED: "success",
    Phase.FAILED: "fail",
    Phase.EXPIRED: "fail",
}


class KieProtocol(Protocol):
    name = "kie"
    callbacks = True
    invalid_status = 422

    def error(self, http_status: int, message: str, field: str | None = None) -> JsonResponse:
        # Kie signals errors in the envelope's `code`; the sandbox also sets the HTTP status,
        # so an adapter that only looks at one of the two still notices (Kie's page vs its OpenAPI).
        return JsonResponse({"code": http_status, "msg": message, "data": None}, status=http_status)

    def validate(self, body: dict, *, provider: str, endpoint: str | None) -> list[str]:
        problems = check_unknown(body, {"model", "callBackUrl", "input"})
        if body.get("model") != MODEL:
            problems.append(f"model: must be {MODEL}")
        if "callBackUrl" in body and not is_http_url(body["callBackUrl"]):
            problems.append("callBackUrl: must be an http(s) URL")
        inputs = body.get("input")
        if not isinstance(inputs, dict):
            return [*problems, "input: required object"]
        problems += check_unknown(inputs, INPUT_FIELDS, "input.")
        prompt = inputs.get("prompt")
        if not isinstance(prompt, str) or not 3 <= len(prompt) <= 2500:
            problems.append("input.prompt: required, 3-2500 characters")
        urls = inputs.get("input_urls", [])
        if not isinstance(urls, list) or len(urls) > 2:
            problems.append("input.input_urls: 0-2 image URLs")
        else:
            for i, url in enumerate(urls):
                problems += check_image(url, f"input.input_urls[{i}]", data_uri=False)
        if inputs.get("aspect_ratio") not in RATIOS:
            problems.append(f"input.aspect_ratio: required, one of {', '.join(RATIOS)}")
        if inputs.get("resolution", "720p") not in ("480p", "720p"):
            problems.append("input.resolution: one of 480p, 720p")
        duration = inputs.get("duration")
        if provider == "apikley":
            # Apikley's OpenAPI: integer enum, optional (default 8).
            if "duration" in inputs and not (is_int(duration) and duration in (4, 8, 12)):
                problems.append("input.duration: integer, one of 4, 8, 12")
        elif duration not in ("4", "8", "12", 4, 8, 12) or isinstance(duration, bool):
            problems.append('input.duration: required, one of "4", "8", "12"')
        return problems + check_bools(inputs, ("fixed_lens", "generate_audio"))

    def prompt(self, body: dict) -> str:
        return body["input"]["prompt"]

    def callback_url(self, body: dict) -> str:
        return body.get("callBackUrl") or ""

    def new_id(self) -> str:
        return f"task_bytedance_{int(time.time() * 1000)}{secrets.token_hex(4)}"

    def created(self, task: SandboxTask) -> JsonResponse:
        return JsonResponse({"code": 200, "msg": "success", "data": {"taskId": task.id}})

    def _data(self, task: SandboxTask, now: datetime) -> dict:
        phase = task.phase(now)
        if phase == Phase.QUEUED:
            # Kie has two waiting states: waiting, then queuing.
            state = "waiting" if task.elapsed(now) < task.delay_seconds * 0.2 else "queuing"
        else:
            state = STATES[phase]
        terminal = phase in (Phase.SUCCEEDED, Phase.FAILED, Phase.EXPIRED)
        data = {
            "taskId": task.id,
            "model": MODEL,
            "state": state,
            "param": json.dumps(task.request, separators=(",", ":")),
            "resultJson": json.dumps({"resultUrls": [video_url()]}) if phase == Phase.SUCCEEDED else "",
            "failCode": "",
            "failMsg": "",
            "costTime": int(task.delay_seconds) if terminal else None,
            "createTime": ms(task.created_at),
            "updateTime": ms(min(now, task.completed_at)),
        }
        if terminal:
            data["completeTime"] = ms(task.completed_at)
        if phase == Phase.FAILED:
            data.update(
                failCode="500", failMsg="Sandbox: generation failed ([sandbox:fail]).", resultJson=None
            )
        elif phase == Phase.EXPIRED:
            # Kie has no expired state: a task that ran out of time is a failure.
            data.update(
                failCode="timeout", failMsg="Sandbox: task timed out ([sandbox:expire]).", resultJson=None
            )
        return data

    def render(self, task: SandboxTask, now: datetime) -> dict:
        return {"code": 200, "msg": "success", "data": self._data(task, now)}

    def callback(self, task: SandboxTask, now: datetime) -> tuple[dict, dict[str, str]]:
        data = self._data(task, now)
        succeeded = data["state"] == "success"
        body = {
            "code": 200 if succeeded else 501,
            "data": data,
            "msg": "Playground task completed successfully." if succeeded else "Playground task failed.",
        }
        headers = {}
        # Only Kie documents signing (an account-level key); Apikley does not.
        if task.provider == "kie" and settings.KIE_WEBHOOK_HMAC_KEY:
            timestamp = str(int(time.time()))
            headers = {
                "X-Webhook-Timestamp": timestamp,
                "X-Webhook-Signature": sign(settings.KIE_WEBHOOK_HMAC_KEY, task.id, timestamp),
            }
        return body, headers
