"""Volcengine Ark / BytePlus ModelArk content-generation tasks, and the relays that forward it.

POST {base}/contents/generations/tasks, GET {base}/contents/generations/tasks/{id},
DELETE {base}/contents/generations/tasks/{id} (cancels a queued task). The base URL carries
the provider's prefix (`/api/v3` at Ark, `/volc/v1` at kkiai). Errors come as HTTP 4xx/5xx with
{"error": {"code", "message"}}; task failures as status "failed" with the same error object.
Callbacks post the task object unsigned, so they are only a hint to fetch the status.
"""

from __future__ import annotations

from dataclasses import replace

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
from generations.spec import ASPECT_RATIOS, GenerationSpec

TASKS = "/contents/generations/tasks"

STATES = {
    "submitted": State.QUEUED,  # kkiai's create answer ("seedance-1-5-pro" page)
    "queued": State.QUEUED,
    "running": State.RUNNING,
    "succeeded": State.SUCCEEDED,
    "failed": State.FAILED,
    "cancelled": State.CANCELLED,
    "expired": State.EXPIRED,
}

# 429s that will not clear by waiting (Ark's error code page).
PERMANENT_429 = {"SetLimitExceeded", "QuotaExceeded"}


class ArkAdapter(Adapter):
    protocol = "ark"
    default_capabilities = Capabilities(
        aspect_ratios=ASPECT_RATIOS,
        resolutions=("480p", "720p", "1080p"),
        durations=tuple(range(4, 13)),
        auto_duration=True,
        max_images=2,
        base64_images=True,
        image_formats=("jpeg", "png", "webp", "bmp", "tiff", "gif"),
        audio=True,
        seed=True,
        camera_fixed=True,
        watermark=True,
        callbacks=True,
        cancel=True,
    )
    default_model = "seedance-1-5-pro-251215"
    # Ark returns a last-frame PNG on request; relays that don't document it leave it out.
    return_last_frame = True

    @property
    def model(self) -> str:
        return self.options.get("model") or self.default_model

    def build_create(self, spec: GenerationSpec, callback_url: str | None) -> httpx.Request:
        content: list[dict] = [{"type": "text", "text": spec.prompt}]
        for role, url in spec.images:
            content.append({"type": "image_url", "image_url": {"url": url}, "role": role})
        body: dict = {"model": self.model, "content": content}
        if callback_url and self.capabilities.callbacks:
            body["callback_url"] = callback_url
        caps = self.capabilities
        body["ratio"] = spec.aspect_ratio
        body["duration"] = spec.duration
        # A relay may not forward every Ark field: each one below is a capability that settings
        # can switch off, and then it is neither offered nor sent.
        if caps.resolution_param:
            body["resolution"] = spec.resolution
        # Booleans always explicit: defaults differ between Ark and its mirrors.
        if caps.audio:
            body["generate_audio"] = spec.generate_audio
        if caps.camera_fixed:
            body["camera_fixed"] = spec.camera_fixed
        body["watermark"] = spec.watermark
        if spec.seed is not None and caps.seed:
            body["seed"] = spec.seed
        if self.return_last_frame:
            body["return_last_frame"] = True
        return self.post_json(TASKS, body)

    def _raise_for_error(self, response: httpx.Response, body) -> None:
        if response.status_code < 400:
            return
        error = body.get("error") if isinstance(body, dict) else None
        error = error if isinstance(error, dict) else {}
        code = str(error.get("code") or f"http_{response.status_code}")
        retryable = response.status_code >= 500 or (
            response.status_code == 429 and code.split(".")[0] not in PERMANENT_429
        )
        raise ProviderError(
            f"{code} (HTTP {response.status_code}): {error.get('message') or response.text[:200]}",
            retryable=retryable,
            code=code,
            task_created=False,
        )

    def parse_create(self, response: httpx.Response) -> str:
        body = json_body(response)
        self._raise_for_error(response, body)
        return require_task_id(body.get("id") if isinstance(body, dict) else None, "an id")

    def build_status(self, task_id: str) -> httpx.Request:
        return self.get(f"{TASKS}/{task_id}")

    def parse_status(self, response: httpx.Response) -> Update:
        body = json_body(response)
        self._raise_for_error(response, body)
        task = _unwrap(body)
        if task is None:
            raise ProviderError(f"unexpected task body: {response.text[:200]!r}", retryable=True)
        return self._update(task)

    def _update(self, task: dict) -> Update:
        value = task.get("status")
        state = STATES.get(value) or unknown_state(self.protocol, value)
        content = task.get("content") if isinstance(task.get("content"), dict) else {}
        error = task.get("error") if isinstance(task.get("error"), dict) else {}
        if state == State.SUCCEEDED:
            if not content.get("video_url"):
                raise ProviderError("status succeeded without content.video_url", retryable=True)
            duration = task.get("duration")
            return Update(
                state=state,
                video_url=content["video_url"],
                last_frame_url=content.get("last_frame_url") or None,
                duration_s=duration if isinstance(duration, int) and duration > 0 else None,
                # created_at and updated_at (Unix seconds): a finished task was last updated as it ended.
                run_seconds=run_seconds(task.get("created_at"), task.get("updated_at")),
                raw=task,
            )
        if state in (State.FAILED, State.EXPIRED):
            return Update(
                state=state,
                error_code=str(error.get("code") or value),
                error_message=str(error.get("message") or f"The provider reports the task {value}."),
                raw=task,
            )
        return Update(state=state, raw=task)

    def parse_callback(self, body: bytes, headers) -> Callback:
        task = _unwrap(json_callback(body))
        if task is None or not task.get("id") or not isinstance(task.get("status"), str):
            raise CallbackRejected("callback is not a task object (needs id and status)")
        if not isinstance(task["id"], str | int):
            raise CallbackRejected("callback task id is not a string")
        # Unsigned: only the task id is used; the status call says what became of it.
        return Callback(task_id=str(task["id"]), claimed=task["status"], raw=task)

    def build_cancel(self, task_id: str) -> httpx.Request | None:
        if not self.capabilities.cancel:
            return None
        return httpx.Request("DELETE", self.url(f"{TASKS}/{task_id}"), headers=self.auth_headers)


class KkiaiAdapter(ArkAdapter):
    """kkiai relays Ark under /volc/v1. Its page documents model, content, ratio, duration and
    watermark; resolution, generate_audio, seed and camera_fixed are assumed forwarded to Ark
    (inferred), each a capability that PROVIDER_CAPABILITIES can switch off (resolution_param,
    audio, seed, camera_fixed). No callbacks, cancel, auto duration or last frame are documented,
    so none is used."""

    protocol = "kkiai"
    default_model = "doubao-seedance-1-5-pro-251215"
    return_last_frame = False
    default_capabilities = replace(
        ArkAdapter.default_capabilities, auto_duration=False, callbacks=False, cancel=False
    )


class SandboxAdapter(ArkAdapter):
    """The local emulator, spoken to in Ark's protocol; `auto` falls back to it last."""

    protocol = "sandbox"
    default_model = "doubao-seedance-1-5-pro-251215"


def _unwrap(body) -> dict | None:
    """The Ark task object; kkiai may wrap it in {"data": {...}} (inferred)."""
    if isinstance(body, dict) and "status" not in body and isinstance(body.get("data"), dict):
        body = body["data"]
    return body if isinstance(body, dict) and "status" in body else None
