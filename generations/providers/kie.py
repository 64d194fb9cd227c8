"""Kie.ai market jobs protocol ("Seedance 1.5 Pro I2V api call for Kie"), and Apikley, a clone of it
("Bytedance - Seedance 1.5 Pro").

POST /api/v1/jobs/createTask, GET /api/v1/jobs/recordInfo?taskId=. Kie's envelope carries
errors inside HTTP 200 (`code` != 200), so both the HTTP status and `code` are checked.
`data.resultJson` is a JSON *string* inside the JSON. Callbacks arrive on completion only and
may be signed (X-Webhook-Signature, base64 HMAC-SHA256 of "taskId.timestamp"): the signature
proves who sent them, not what the body says, so a callback only names the task to check.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import httpx

from generations.providers.base import (
    Adapter,
    Callback,
    CallbackRejected,
    Capabilities,
    ProviderError,
    State,
    Update,
    json_body,
    json_callback,
    require_task_id,
    run_seconds,
    unknown_state,
)
from generations.spec import GenerationSpec

MODEL = "bytedance/seedance-1.5-pro"

STATES = {
    "waiting": State.QUEUED,
    "queuing": State.QUEUED,
    "generating": State.RUNNING,
    "success": State.SUCCEEDED,
    "fail": State.FAILED,
}

# Envelope codes (Apikley's OpenAPI): which ones a later identical call may survive.
RETRYABLE_CODES = {429, 455, 500}
ERROR_NAMES = {
    401: "unauthorized",
    402: "insufficient_credits",
    404: "not_found",
    422: "validation_error",
    429: "rate_limited",
    433: "key_limit_exceeded",
    455: "maintenance",
    500: "server_error",
    501: "generation_failed",
    505: "feature_disabled",
}

# Kie's signature has a timestamp; refuse one older (or newer) than this. A signature seen
# before is refused too (generations.callbacks remembers them longer than this window).
SIGNATURE_MAX_AGE_SECONDS = 300


def _envelope_error(code: int, message: str, http_status: int) -> ProviderError:
    return ProviderError(
        f"{ERROR_NAMES.get(code, 'error')} (code {code}, HTTP {http_status}): {message}",
        retryable=code in RETRYABLE_CODES,
        code=f"kie_{code}",
        task_created=False,
    )


def _message(body: dict) -> str:
    # Kie's page example says "message", Kie's OpenAPI schema says "msg".
    return str(body.get("msg") or body.get("message") or "")


class KieAdapter(Adapter):
    protocol = "kie"
    # Kie's Seedance 1.5 Pro page ("v1"): no adaptive ratio, 480p/720p, 4/8/12 s, URL images only. A newer Kie doc
    # adds 1080p and 4..12 s; enable that with PROVIDER_CAPABILITIES once verified.
    default_capabilities = Capabilities(
        aspect_ratios=("1:1", "21:9", "4:3", "3:4", "16:9", "9:16"),
        resolutions=("480p", "720p"),
        durations=(4, 8, 12),
        max_images=2,
        base64_images=False,
        audio=True,
        seed=False,
        camera_fixed=True,
        watermark=False,
        callbacks=True,
    )
    # Kie's page shows duration as a string ("8"); Apikley's OpenAPI says integer.
    duration_as_string = True

    @property
    def hmac_key(self) -> str:
        return self.options.get("webhook_hmac_key") or ""

    def build_create(self, spec: GenerationSpec, callback_url: str | None) -> httpx.Request:
        body: dict = {"model": MODEL}
        if callback_url:
            body["callBackUrl"] = callback_url
        inputs: dict = {"prompt": spec.prompt}
        # Kie has no roles: index 0 is the first frame, index 1 the last (inferred).
        if spec.images:
            inputs["input_urls"] = [url for _role, url in spec.images]
        inputs["aspect_ratio"] = spec.aspect_ratio
        inputs["resolution"] = spec.resolution
        inputs["duration"] = str(spec.duration) if self.duration_as_string else spec.duration
        inputs["fixed_lens"] = spec.camera_fixed
        inputs["generate_audio"] = spec.generate_audio
        body["input"] = inputs
        return self.post_json("/api/v1/jobs/createTask", body)

    def _envelope(self, response: httpx.Response) -> dict:
        body = json_body(response)
        if not isinstance(body, dict):
            raise ProviderError(
                f"unexpected body: {response.text[:200]!r}", retryable=True, task_created=None
            )
        code = body.get("code")
        if response.status_code != 200 or code != 200:
            code = code if isinstance(code, int) else response.status_code
            raise _envelope_error(code, _message(body), response.status_code)
        return body

    def parse_create(self, response: httpx.Response) -> str:
        body = self._envelope(response)
        return require_task_id((body.get("data") or {}).get("taskId"), "data.taskId")

    def build_status(self, task_id: str) -> httpx.Request:
        return self.get("/api/v1/jobs/recordInfo", params={"taskId": task_id})

    def parse_status(self, response: httpx.Response) -> Update:
        body = json_body(response)
        # recordInfo answers 501 "generation failed" for a task that failed; that is a state.
        if isinstance(body, dict) and body.get("code") == 501 and isinstance(body.get("data"), dict):
            return self._update(body["data"], body, default_state="fail")
        body = self._envelope(response)
        data = body.get("data")
        if not isinstance(data, dict):
            raise ProviderError("recordInfo answered without data", retryable=True, task_created=None)
        return self._update(data, body)

    def _update(self, data: dict, raw: dict, default_state: str | None = None) -> Update:
        value = data.get("state") or default_state
        state = STATES.get(value) or unknown_state(self.protocol, value)
        if state == State.SUCCEEDED:
            urls = _result_urls(data.get("resultJson"))
            if not urls:
                raise ProviderError("state success without resultUrls", retryable=True, task_created=True)
            # Task details: createTime and completeTime, in milliseconds.
            took = run_seconds(data.get("createTime"), data.get("completeTime"), per_second=1000)
            return Update(state=state, video_url=urls[0], run_seconds=took, raw=raw)
        if state == State.FAILED:
            return Update(
                state=state,
                error_code=str(data.get("failCode") or raw.get("code") or "generation_failed"),
                error_message=str(data.get("failMsg") or _message(raw) or "Generation failed."),
                raw=raw,
            )
        return Update(state=state, raw=raw)

    def parse_callback(self, body: bytes, headers) -> Callback:
        payload = json_callback(body)
        data = payload.get("data")
        if not isinstance(data, dict):
            raise CallbackRejected("callback has no data object")
        # Kie's own sample reads data.task_id; its payloads carry data.taskId ("Get Task Details").
        task_id = data.get("taskId") or data.get("task_id")
        if not task_id or not isinstance(task_id, str | int):
            raise CallbackRejected("callback has no data.taskId")
        state = data.get("state")
        if not state or not isinstance(state, str):
            raise CallbackRejected("callback has no data.state")
        replay_key = self._verify(str(task_id), headers) if self.hmac_key else None
        # The signature covers only taskId.timestamp: nothing else in the body is believed.
        return Callback(task_id=str(task_id), claimed=state, replay_key=replay_key, raw=payload)

    def _verify(self, task_id: str, headers) -> str:
        """Check Kie's signature; returns it with its timestamp (the key a replay would reuse)."""
        headers = {k.lower(): v for k, v in dict(headers).items()}
        timestamp = headers.get("x-webhook-timestamp", "")
        signature = headers.get("x-webhook-signature", "")
        if not timestamp or not signature:
            raise CallbackRejected("unsigned callback, but a signing key is configured", code="bad_signature")
        expected = sign(self.hmac_key, task_id, timestamp)
        if not hmac.compare_digest(expected, signature):
            raise CallbackRejected("callback signature does not match", code="bad_signature")
        try:
            age = abs(time.time() - int(timestamp))
        except ValueError as exc:
            raise CallbackRejected("callback timestamp is not a number", code="bad_signature") from exc
        if age > SIGNATURE_MAX_AGE_SECONDS:
            raise CallbackRejected("callback timestamp is too old (replay?)", code="bad_signature")
        return f"{timestamp}.{signature}"

    @property
    def callbacks_are_signed(self) -> bool:
        return bool(self.hmac_key)


class ApikleyAdapter(KieAdapter):
    """Apikley: Kie's protocol on its own host. It does not document callback signing, so its
    callbacks are never checked for a signature (like every callback, they trigger a status fetch)."""

    protocol = "apikley"
    duration_as_string = False

    @property
    def hmac_key(self) -> str:
        return ""


def sign(key: str, task_id: str, timestamp: str) -> str:
    """Kie's X-Webhook-Signature: base64(HMAC-SHA256(key, f"{taskId}.{timestamp}"))."""
    digest = hmac.new(key.encode(), f"{task_id}.{timestamp}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _result_urls(result_json) -> list[str]:
    if isinstance(result_json, str) and result_json:
        try:
            result_json = json.loads(result_json)
        except json.JSONDecodeError:
            return []
    if isinstance(result_json, dict):
        urls = result_json.get("resultUrls") or []
        return [u for u in urls if isinstance(u, str)]
    return []
