"""aizfw "kyyAiPower" videos API (its "Seedance Create Video Task" page).

POST {base}/v1/seedance/videos, GET {base}/v1/result/{id}; the base URL carries the path prefix
(`/kyyAiPower` in the create page, `/kyyReactApiServer` in newer docs). For Seedance 1.5 Pro the
resolution is chosen by the model name and duration is 4..12 or -1 (the model chooses,
`actualDuration` tells); for Seedance 2.0 the model name is chosen by the duration band. The text
is limited to 500 characters (Chinese) or 1000 words (English). No callbacks, no cancel
endpoint. The HTTP error envelope is undocumented: we read an OpenAI-style {"error": {...}} or
{"error": "..."} or {"message": "..."} (inferred).
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
    unknown_state,
)
from generations.spec import ASPECT_RATIOS, SEEDANCE_2, GenerationSpec

STATES = {
    "queued": State.QUEUED,
    "processing": State.RUNNING,
    "completed": State.SUCCEEDED,
    "failed": State.FAILED,
    "cancelled": State.CANCELLED,
}


# Seedance 2.0 models by duration band ("4s_5s", "6s_10s", "11s_15s"), billed per task.
SEEDANCE_2_BANDS = ((5, "seedance_2_0_4s_5s"), (10, "seedance_2_0_6s_10s"), (15, "seedance_2_0_11s_15s"))


def model_for(spec: GenerationSpec) -> str:
    if spec.model == SEEDANCE_2:
        return next(name for longest, name in SEEDANCE_2_BANDS if spec.duration <= longest)
    return f"seedance_1_5_pro_{spec.resolution}"


def _error_text(body) -> str:
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            return str(error.get("message") or error)
        if error:
            return str(error)
        if body.get("message"):
            return str(body["message"])
    return str(body)[:200]


class AizfwAdapter(Adapter):
    protocol = "aizfw"
    default_capabilities = Capabilities(
        aspect_ratios=ASPECT_RATIOS,
        resolutions=("480p", "720p", "1080p"),
        durations=tuple(range(4, 13)),
        auto_duration=True,
        max_images=2,
        base64_images=False,  # the doc says "Image URL": we host data: URIs and uploads
        image_formats=("jpeg", "png", "webp", "bmp", "tiff", "gif", "heic", "heif"),
        audio=True,
        seed=False,
        camera_fixed=False,
        watermark=False,
        callbacks=False,
        prompt_max_chinese_chars=500,
        prompt_max_words=1000,
        models=("seedance-1.5-pro", SEEDANCE_2),
        model_overrides={
            SEEDANCE_2: {
                "durations": tuple(range(4, 16)),
                "auto_duration": False,
                # No resolution in the 2.0 model names or fields: the provider's own (inferred 720p).
                "resolutions": ("720p",),
                "audio": False,  # "Audio generation is only supported by Seedance 1.5 pro series"
                "image_roles": ("first_frame", "last_frame", "reference_image"),
                "max_reference_images": 4,
                "image_formats": ("jpeg", "png", "webp", "bmp", "tiff", "gif"),
            }
        },
    )

    def build_create(self, spec: GenerationSpec, callback_url: str | None) -> httpx.Request:
        content: list[dict] = [{"type": "text", "text": spec.prompt}]
        for role, url in spec.images:
            content.append({"type": "image_url", "image_url": {"url": url}, "role": role})
        body = {
            "model": model_for(spec),
            "content": content,
            "ratio": spec.aspect_ratio,
            "duration": spec.duration,
        }
        if spec.model != SEEDANCE_2:  # audio is a 1.5 Pro feature
            body["generate_audio"] = spec.generate_audio
        return self.post_json("/v1/seedance/videos", body)

    def _raise_for_error(self, response: httpx.Response, body) -> None:
        if response.status_code >= 400:
            raise ProviderError(
                f"HTTP {response.status_code}: {_error_text(body)}",
                retryable=response.status_code == 429 or response.status_code >= 500,
                code=f"aizfw_http_{response.status_code}",
                task_created=False,
            )

    def parse_create(self, response: httpx.Response) -> str:
        body = json_body(response)
        self._raise_for_error(response, body)
        return require_task_id(body.get("id") if isinstance(body, dict) else None, "an id")

    def build_status(self, task_id: str) -> httpx.Request:
        return self.get(f"/v1/result/{task_id}")

    def parse_status(self, response: httpx.Response) -> Update:
        body = json_body(response)
        self._raise_for_error(response, body)
        if not isinstance(body, dict) or "status" not in body:
            raise ProviderError(f"unexpected result body: {response.text[:200]!r}", retryable=True)
        value = body["status"]
        state = STATES.get(value) or unknown_state(self.protocol, value)
        if state == State.SUCCEEDED:
            if not body.get("video_url"):
                raise ProviderError("status completed without video_url", retryable=True)
            duration = body.get("actualDuration")
            return Update(
                state=state,
                video_url=body["video_url"],
                duration_s=int(duration) if isinstance(duration, int | float) and duration > 0 else None,
                raw=body,
            )
        if state == State.FAILED:
            return Update(
                state=state,
                error_code="failed",
                error_message=str(body.get("error") or "The provider reports the task failed."),
                raw=body,
            )
        return Update(state=state, raw=body)

    def parse_callback(self, body: bytes, headers) -> Callback:
        raise CallbackRejected("aizfw sends no callbacks")
