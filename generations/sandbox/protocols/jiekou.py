"""JieKou AI async API ("Seedance 1.5 Pro Image-to-Video"): flat fields, model in the URL, no callbacks."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.http import JsonResponse

from generations.sandbox.models import Phase, SandboxTask
from generations.sandbox.protocols.base import (
    ASPECT_RATIOS,
    RESOLUTIONS,
    Protocol,
    check_bools,
    check_image,
    check_unknown,
    is_int,
    ms,
    video_url,
)

FIELDS = {
    "prompt",
    "image",
    "last_image",
    "ratio",
    "resolution",
    "duration",
    "fps",
    "seed",
    "camera_fixed",
    "watermark",
    "service_tier",
    "generate_audio",
    "execution_expires_after",
}
STATES = {
    Phase.QUEUED: "TASK_STATUS_QUEUED",
    Phase.RUNNING: "TASK_STATUS_PROCESSING",
    Phase.SUCCEEDED: "TASK_STATUS_SUCCEED",
    Phase.FAILED: "TASK_STATUS_FAILED",
    Phase.EXPIRED: "TASK_STATUS_FAILED",  # no expired state: a failure whose reason says so
}
REASONS = {
    401: "FAILED_TO_AUTH",
    404: "TASK_NOT_FOUND",
    429: "RATE_LIMIT_EXCEEDED",
    503: "SERVICE_NOT_AVAILABLE",
}


class JiekouProtocol(Protocol):
    name = "jiekou"

    def error(self, http_status: int, message: str, field: str | None = None) -> JsonResponse:
        if http_status == 500:
            http_status = 503  # JieKou documents SERVICE_NOT_AVAILABLE as 503
        reason = REASONS.get(http_status, "INVALID_REQUEST_BODY")
        return JsonResponse(
            {"code": http_status, "reason": reason, "message": message, "metadata": {}}, status=http_status
        )

    def validate(self, body: dict, *, provider: str, endpoint: str | None) -> list[str]:
        problems = check_unknown(body, FIELDS)
        if not isinstance(body.get("prompt"), str) or not body["prompt"].strip():
            problems.append("prompt: required string")
        # The image-to-video endpoint "supports text-to-video, image-to-video (first frame), and
        # image-to-video (first and last frames)": image is optional there. The t2v path is not
        # in the document; the sandbox serves it for operators who configure it.
        if endpoint == "t2v" and ("image" in body or "last_image" in body):
            problems.append("image: not accepted on the t2v endpoint (use seedance-v1.5-pro-i2v)")
        for field in ("image", "last_image"):
            if field in body:
                problems += check_image(body[field], field, data_uri=True)
        if "last_image" in body and "image" not in body:
            problems.append("last_image: needs image (the first frame)")
        if body.get("ratio", "adaptive") not in ASPECT_RATIOS:
            problems.append(f"ratio: one of {', '.join(ASPECT_RATIOS)}")
        if body.get("resolution", "720p") not in RESOLUTIONS:
            problems.append(f"resolution: one of {', '.join(RESOLUTIONS)}")
        duration = body.get("duration", 5)
        if not is_int(duration) or not 4 <= duration <= 12:
            problems.append("duration: integer in [4, 12]")
        if body.get("fps", 24) != 24:
            problems.append("fps: only 24")
        seed = body.get("seed", -1)
        if not is_int(seed) or not -1 <= seed <= 2**32 - 1:
            problems.append("seed: integer in [-1, 4294967295]")
        if body.get("service_tier", "default") not in ("default", "flex"):
            problems.append("service_tier: default or flex")
        expires = body.get("execution_expires_after", 172800)
        if not is_int(expires) or not 3600 <= expires <= 259200:
            problems.append("execution_expires_after: integer in [3600, 259200]")
        return problems + check_bools(body, ("camera_fixed", "watermark", "generate_audio"))

    def prompt(self, body: dict) -> str:
        return body["prompt"]

    def new_id(self) -> str:
        return str(uuid.uuid4())

    def created(self, task: SandboxTask) -> JsonResponse:
        return JsonResponse({"task_id": task.id})

    def render(self, task: SandboxTask, now: datetime) -> dict:
        phase = task.phase(now)
        reason = {
            Phase.FAILED: "Sandbox: generation failed ([sandbox:fail]).",
            Phase.EXPIRED: "Sandbox: task expired ([sandbox:expire]).",
        }.get(phase, "")
        terminal = task.is_terminal(now)
        progress = 100 if terminal else int(min(99, 100 * task.elapsed(now) / max(task.delay_seconds, 0.001)))
        videos = [{"video_url": video_url(), "video_url_ttl": "3600", "video_type": "mp4"}]
        return {
            "extra": {
                "seed": str(task.request.get("seed", 158881667)),
                "debug_info": {
                    "request_info": "",
                    "submit_time_ms": str(ms(task.created_at)),
                    "execute_time_ms": "",
                    "complete_time_ms": str(ms(task.completed_at)) if terminal else "",
                },
            },
            "task": {
                "task_id": task.id,
                "task_type": "SEEDANCE_V1_5_PRO_I2V" if "image" in task.request else "SEEDANCE_V1_5_PRO_T2V",
                "status": STATES[phase],
                "reason": reason,
                "eta": 0,
                "progress_percent": progress,
            },
            "images": [],
            "videos": videos if phase == Phase.SUCCEEDED else [],
            "audios": [],
        }
