"""What every emulated protocol provides to the generic sandbox views, plus shared checks."""

from __future__ import annotations

import re
from datetime import datetime

from django.conf import settings
from django.http import JsonResponse

from generations.sandbox.models import SandboxTask

ASPECT_RATIOS = ("16:9", "4:3", "1:1", "3:4", "9:16", "21:9", "adaptive")
RESOLUTIONS = ("480p", "720p", "1080p")
DATA_URI = re.compile(r"^data:image/(jpeg|png|webp|bmp|tiff|gif|heic|heif);base64,[A-Za-z0-9+/=\s]+$")


def static_url(name: str) -> str:
    """An absolute URL on SITE_URL for a file in static/sandbox/ (the sample video, last frame)."""
    return f"{settings.SITE_URL}{settings.STATIC_URL}sandbox/{name}"


def video_url() -> str:
    return static_url("sample.mp4")


def last_frame_url() -> str:
    return static_url("last-frame.png")


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_http_url(value) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://")) and len(value) > 10


def check_image(value, field: str, *, data_uri: bool) -> list[str]:
    if is_http_url(value):
        return []
    if data_uri and isinstance(value, str) and DATA_URI.match(value):
        return []
    allowed = "an http(s) URL or a data:image/<format>;base64,... URI" if data_uri else "an http(s) URL"
    return [f"{field}: must be {allowed}"]


def check_bools(body: dict, names: tuple[str, ...]) -> list[str]:
    return [
        f"{name}: must be a boolean" for name in names if name in body and not isinstance(body[name], bool)
    ]


def check_unknown(body: dict, allowed: set[str], where: str = "") -> list[str]:
    return [f"{where}{name}: unknown field" for name in sorted(set(body) - allowed)]


class Protocol:
    """One provider wire protocol as the sandbox speaks it. Subclasses fill in the shapes."""

    name: str
    callbacks = False
    invalid_status = 400  # HTTP status for a request that fails validation

    def error(self, http_status: int, message: str, field: str | None = None) -> JsonResponse:
        raise NotImplementedError

    def validate(self, body: dict, *, provider: str, endpoint: str | None) -> list[str]:
        """Problems with a create body, each "field: what is wrong", as the provider documents."""
        raise NotImplementedError

    def prompt(self, body: dict) -> str:
        raise NotImplementedError

    def callback_url(self, body: dict) -> str:
        return ""

    def new_id(self) -> str:
        raise NotImplementedError

    def created(self, task: SandboxTask) -> JsonResponse:
        raise NotImplementedError

    def render(self, task: SandboxTask, now: datetime) -> dict:
        """The status body for `task` at `now`."""
        raise NotImplementedError

    def callback(self, task: SandboxTask, now: datetime) -> tuple[dict, dict[str, str]]:
        """(body, extra headers) of the completion callback."""
        raise NotImplementedError

    def not_found(self, task_id: str) -> JsonResponse:
        return self.error(404, f"task {task_id} not found")
