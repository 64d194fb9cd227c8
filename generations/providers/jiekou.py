"""JieKou AI async API ("Seedance 1.5 Pro Image-to-Video"): flat fields, model in the URL, polling.

POST /v3/async/seedance-v1.5-pro-i2v for every job: the page says the endpoint "supports
text-to-video, image-to-video (first frame), and image-to-video (first and last frames)". A
text-only job goes elsewhere only when the `text_to_video_path` option (JIEKOU_TEXT_TO_VIDEO_PATH)
names a path. GET /v3/async/task-result?task_id=. `service_tier` (default | flex) and
`execution_expires_after` (3600..259200 s) are documented fields. Result URLs live one hour.
Errors (inferred from Novita): {"code": 400, "reason": "INVALID_REQUEST_BODY", "message": "..."}.
"""

from __future__ import annotations

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
    require_task_id,
    run_seconds,
    unknown_state,
)
from generations.spec import ASPECT_RATIOS, GenerationSpec

I2V = "/v3/async/seedance-v1.5-pro-i2v"
# execution_expires_after: "Range: [3600, 259200]" seconds.
EXPIRES_MIN, EXPIRES_MAX = 3600, 259200

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
        # The page states 1080p for Seedance 1.5 Pro in an image-to-video context only; without
        # evidence it is accepted for text-only jobs, those get 480p/720p (override in settings).
        text_only_resolutions=("480p", "720p"),
        max_images=2,
        base64_images=True,  # data:image/<fmt>;base64,... (bare base64 is refused)
        image_formats=("jpeg", "png", "webp", "bmp", "tiff", "gif"),
        audio=True,
        seed=True,
        camera_fixed=True,
        watermark=True,
        callbacks=False,
        service_tiers=("default", "flex"),
    )

    @property
    def text_to_video_path(self) -> str:
        return self.options.get("text_to_video_path") or I2V

    @property
    def expires_after(self) -> int | None:
        """execution_expires_after in seconds (our deadline, within the documented range)."""
        seconds = self.options.get("expires_after_seconds")
        return None if seconds is None else max(EXPIRES_MIN, min(EXPIRES_MAX, int(seconds)))

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
        if spec.service_tier is not None:
            body["service_tier"] = spec.service_tier
        if self.expires_after is not None:
            body["execution_expires_after"] = self.expires_after
        # callback_url is ignored: JieKou's Seedance schema has no callback.
        return self.post_json(I2V if spec.first_frame else self.text_to_video_path, body)

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
        # MyRouter, a sibling platform, answers {"id": ...} (its Seedance 1.5 Pro page).
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
            debug = (body.get("extra") or {}).get("debug_info") or {}
            took = run_seconds(debug.get("submit_time_ms"), debug.get("complete_time_ms"), per_second=1000)
            return Update(state=state, video_url=videos[0]["video_url"], run_seconds=took, raw=body)
        if state == State.FAILED:
            reason = str(task.get("reason") or "")
            # JieKou has no expired state; an upstream expiry most likely surfaces as a failure
            # whose reason says so (inferred).
            expired = "expire" in reason.lower()
            return Update(
                state=State.EXPIRED if expired else State.FAILED,
                error_code="expired" if expired else "failed",
                error_message=reason or "The provider reports the task failed.",
                raw=body,
            )
        return Update(state=state, raw=body)

    def parse_callback(self, body: bytes, headers) -> Callback:
        raise CallbackRejected("JieKou sends no callbacks; it is polled")
