"""Ark content-generation tasks (Volcengine/BytePlus), also relayed by kkiai under /volc/v1."""

from __future__ import annotations

import secrets
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
    is_http_url,
    is_int,
    last_frame_url,
    video_url,
)

MODELS = {"doubao-seedance-1-5-pro-251215", "seedance-1-5-pro-251215"}
FIELDS = {
    "model",
    "content",
    "callback_url",
    "return_last_frame",
    "service_tier",
    "execution_expires_after",
    "resolution",
    "ratio",
    "duration",
    "frames",
    "framespersecond",
    "seed",
    "camera_fixed",
    "watermark",
    "generate_audio",
    "draft",
}
AUTO_DURATION_PICK = 5  # what the sandbox "model" chooses for duration -1


def check_content(content, *, data_uri: bool, reference_images: int = 0) -> list[str]:
    """Ark's content[] rules: one text, 0-2 frames with roles as documented, or (where a model
    takes them) 1..`reference_images` images with role reference_image, never both."""
    if not isinstance(content, list) or not content:
        return ["content: required, a non-empty array"]
    problems, texts, roles = [], 0, []
    for i, item in enumerate(content):
        where = f"content[{i}]"
        kind = item.get("type") if isinstance(item, dict) else None
        if kind == "text":
            texts += 1
            if not isinstance(item.get("text"), str) or not item["text"].strip():
                problems.append(f"{where}.text: required string")
        elif kind == "image_url":
            image = item.get("image_url")
            problems += check_image(
                image.get("url") if isinstance(image, dict) else None,
                f"{where}.image_url.url",
                data_uri=data_uri,
            )
            role = item.get("role")
            allowed = ("first_frame", "last_frame") + (("reference_image",) if reference_images else ())
            if role is not None and role not in allowed:
                problems.append(f"{where}.role: one of {', '.join(allowed)} for this model")
            roles.append(role)
        else:
            problems.append(f"{where}.type: text or image_url")
    if texts > 1:
        problems.append("content: at most one text item")
    if "reference_image" in roles:
        if any(role != "reference_image" for role in roles):
            problems.append("content: reference images cannot be mixed with first/last frames")
        elif len(roles) > reference_images:
            problems.append(f"content: at most {reference_images} reference images")
    elif len(roles) > 2:
        problems.append("content: at most 2 images")
    elif len(roles) == 2 and roles != ["first_frame", "last_frame"]:
        problems.append("content: two images need roles first_frame then last_frame")
    elif len(roles) == 1 and roles[0] not in (None, "first_frame"):
        problems.append("content: a single image is the first frame (role omitted or first_frame)")
    return problems


def check_ratio_duration(body: dict) -> list[str]:
    problems = []
    if "ratio" in body and body["ratio"] not in ASPECT_RATIOS:
        problems.append(f"ratio: one of {', '.join(ASPECT_RATIOS)}")
    duration = body.get("duration", 5)
    if not is_int(duration) or not (4 <= duration <= 12 or duration == -1):
        problems.append("duration: integer 4-12, or -1 (the model chooses)")
    return problems


def prompt_of(body: dict) -> str:
    return next((i.get("text", "") for i in body["content"] if i.get("type") == "text"), "")


class ArkProtocol(Protocol):
    name = "ark"
    callbacks = True

    def error(self, http_status: int, message: str, field: str | None = None) -> JsonResponse:
        code, kind = {
            401: ("AuthenticationError", "Unauthorized"),
            404: ("ResourceNotFound", "NotFound"),
            429: ("ModelAccountRpmRateLimitExceeded", "TooManyRequests"),
            500: ("InternalServiceError", "InternalServerError"),
        }.get(http_status, (f"InvalidParameter.{field}" if field else "InvalidParameter", "BadRequest"))
        error = {
            "code": code,
            "message": f"{message} Request id: sandbox",
            "param": field or "",
            "type": kind,
        }
        return JsonResponse({"error": error}, status=http_status)

    def validate(self, body: dict, *, provider: str, endpoint: str | None) -> list[str]:
        problems = check_unknown(body, FIELDS)
        if body.get("model") not in MODELS:
            problems.append(f"model: one of {', '.join(sorted(MODELS))}")
        problems += check_content(body.get("content"), data_uri=True)
        problems += check_ratio_duration(body)
        if "resolution" in body and body["resolution"] not in RESOLUTIONS:
            problems.append(f"resolution: one of {', '.join(RESOLUTIONS)}")
        seed = body.get("seed", -1)
        if not is_int(seed) or not -1 <= seed <= 2**32 - 1:
            problems.append("seed: integer in [-1, 4294967295]")
        if "callback_url" in body and not is_http_url(body["callback_url"]):
            problems.append("callback_url: must be an http(s) URL")
        if body.get("service_tier", "default") not in ("default", "flex"):
            problems.append("service_tier: default or flex")
        expires = body.get("execution_expires_after", 172800)
        if not is_int(expires) or not 3600 <= expires <= 259200:
            problems.append("execution_expires_after: integer in [3600, 259200]")
        return problems + check_bools(
            body, ("camera_fixed", "watermark", "generate_audio", "return_last_frame", "draft")
        )

    def prompt(self, body: dict) -> str:
        return prompt_of(body)

    def callback_url(self, body: dict) -> str:
        return body.get("callback_url") or ""

    def new_id(self) -> str:
        return f"cgt-{datetime.now():%Y%m%d%H%M%S}-{secrets.token_hex(3)}"

    def created(self, task: SandboxTask) -> JsonResponse:
        if task.provider == "kkiai":
            return JsonResponse(
                {"id": task.id, "status": "submitted"}
            )  # kkiai's answer ("seedance-1-5-pro" page)
        return JsonResponse({"id": task.id})

    def render(self, task: SandboxTask, now: datetime) -> dict:
        phase = task.phase(now)
        request = task.request
        body = {
            "id": task.id,
            "model": request["model"],
            "status": str(phase),
            "error": None,
            "created_at": int(task.created_at.timestamp()),
            "updated_at": int(min(now, task.completed_at).timestamp()),
            "seed": request.get("seed", 11),
            "resolution": request.get("resolution", "720p"),
            "ratio": request.get("ratio", "adaptive"),
            "duration": AUTO_DURATION_PICK
            if request.get("duration", 5) == -1
            else request.get("duration", 5),
            "framespersecond": 24,
            "generate_audio": request.get("generate_audio", False),
            "service_tier": request.get("service_tier", "default"),
            "execution_expires_after": request.get("execution_expires_after", 172800),
        }
        if phase == Phase.SUCCEEDED:
            body["content"] = {"video_url": video_url()}
            if request.get("return_last_frame"):
                body["content"]["last_frame_url"] = last_frame_url()
            body["usage"] = {"completion_tokens": 108900, "total_tokens": 108900}
        elif phase == Phase.FAILED:
            body["error"] = {
                "code": "OutputVideoSensitiveContentDetected",
                "message": "Sandbox: the output video was refused ([sandbox:fail]).",
            }
        return body

    def callback(self, task: SandboxTask, now: datetime) -> tuple[dict, dict[str, str]]:
        return self.render(task, now), {}  # unsigned: the body is the GET-task body
