"""JieKou AI async API (seed 004): flat Ark-style fields, model in the URL, polling only.

POST /v3/async/seedance-v1.5-pro-i2v (first frame, or first+last frame), POST
/v3/async/seedance-v1.5-pro-t2v (text only; inferred from the doc slug and Novita's sibling API),
GET /v3/async/task-result?task_id=. Result URLs live one hour. Errors (inferred from Novita):
{"code": 400, "reason": "INVALID_REQUEST_BODY", "message": "..."}.
"""

from __future__ import annotations

import httpx

from generations.providers.base import (
    Adapter,
    CallbackRejected,
    Capabilities,
    ProviderError,
    State,
    Update,
    json_body,
    require_task_id,
    unknown_state,
)
from generations.spec import ASPECT_RATIOS, GenerationSpec

I2V = "/v3/async/seedance-v1.5-pro-i2v"
T2V = "/v3/async/seedance-v1.5-pro-t2v"

STATES = {
    "TASK_STATUS_QUEUED": State.QUEUED,
    "TASK_STATUS_PROCESSING": State.RUNNING,
    "TASK_STATUS_SUCCEED": State.SUCCEEDED,
    "TASK_STATUS_FAILED": State.FAILED,
}

# 403 covers both "no key" and "not enough balance": neither clears by waiting.
RETRYABLE_HTTP = {429, 500, 502, 503, 504}


class JiekouAdapter(Adapter):
    protocol = "jiekou"
    default_capabilities = Capabilities(
        aspect_ratios=ASPECT_RATIOS,
        resolutions=("480p", "720p", "1080p"),
        durations=tuple(range(4, 13)),
        auto_duration=False,
        max_images=2,
        base64_images=True,  # data:image/<fmt>;base64,... (bare base64 is refused)
        audio=True,
        seed=True,
        camera_fixed=True,
        watermark=True,
        callbacks=False,
    )

    def build_create(self, spec: GenerationSpec, callback_url: str | None) -> httpx.Request:
        body: dict = {"prompt": spec.prompt}
        if spec.first_frame:
            body["image"] = spec.first_frame
        if spec.last_frame:
            body["last_image"] = spec.last_frame
        body["ratio"] = spec.aspect_ratio
        body["resolution"] = spec.resolution
        body["duration"] = spec.duration
        body["camera_fixed"] = spec.camera_fixed
        body["watermark"] = spec.watermark
        body["generate_audio"] = spec.generate_audio
        if spec.seed is not None:
            body["seed"] = spec.seed
        # callback_url is ignored: JieKou's Seedance schema has no callback (providers.md §6.5).
        return self.post_json(I2V if spec.first_frame else T2V, body)

    def _raise_for_error(self, response: httpx.Response, body) -> None:
        if response.status_code < 400:
            return
        body = body if isinstance(body, dict) else {}
        reason = str(body.get("reason") or f"http_{response.status_code}")
        raise ProviderError(
            f"{reason} (HTTP {response.status_code}): {body.get('message') or response.text[:200]}",
            retryable=response.status_code in RETRYABLE_HTTP,
            code=reason,
            task_created=False,
        )

    def parse_create(self, response: httpx.Response) -> str:
        body = json_body(response)
        self._raise_for_error(response, body)
        # MyRouter, a sibling platform, answers {"id": ...} (providers.md §6.1).
        task_id = (body.get("task_id") or body.get("id")) if isinstance(body, dict) else None
        return require_task_id(task_id, "a task_id")

    def build_status(self, task_id: str) -> httpx.Request:
        return self.get("/v3/async/task-result", params={"task_id": task_id})

    def parse_status(self, response: httpx.Response) -> Update:
        body = json_body(response)
        self._raise_for_error(response, body)
        task = body.get("task") if isinstance(body, dict) else None
        if not isinstance(task, dict) or "status" not in task:
            raise ProviderError(f"unexpected task-result body: {response.text[:200]!r}", retryable=True)
        value = task["status"]
        state = STATES.get(value) or unknown_state(self.protocol, value)
        if state == State.SUCCEEDED:
            videos = [v for v in body.get("videos") or [] if isinstance(v, dict) and v.get("video_url")]
            if not videos:
                raise ProviderError("status succeeded without videos[0].video_url", retryable=True)
            return Update(state=state, video_url=videos[0]["video_url"], raw=body)
        if state == State.FAILED:
            reason = str(task.get("reason") or "")
            # JieKou has no expired state; an upstream expiry most likely surfaces as a failure
            # whose reason says so (providers.md §6.4, inferred).
            expired = "expire" in reason.lower()
            return Update(
                state=State.EXPIRED if expired else State.FAILED,
                error_code="expired" if expired else "failed",
                error_message=reason or "The provider reports the task failed.",
                raw=body,
            )
        return Update(state=state, raw=body)

    def parse_callback(self, body: bytes, headers) -> tuple[str, Update]:
        raise CallbackRejected("JieKou sends no callbacks; it is polled")
