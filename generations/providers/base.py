"""The sans-IO adapter contract every provider module implements.

An adapter builds `httpx.Request`s and parses responses and callback bodies; it never sends
anything. `generations.providers.transport` sends. So every vendor quirk is testable on saved
JSON with no network.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import httpx

from generations.spec import AUTO_DURATION, GenerationSpec


class ProviderError(Exception):
    """A provider refused or failed a call.

    `retryable`: the same call may succeed later (429, 5xx, connect errors).
    `task_created`: None when unknown (a timeout after the request was sent), False when the
    provider certainly did not create a task (it answered with an error), True otherwise.
    """

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = False,
        code: str = "provider_error",
        retry_after: float | None = None,
        task_created: bool | None = False,
    ):
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.code = code
        self.retry_after = retry_after
        self.task_created = task_created


class State:
    """Normalised provider task states (providers.md §0.2)."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    TERMINAL = frozenset({SUCCEEDED, FAILED, CANCELLED, EXPIRED})


@dataclass(frozen=True)
class Update:
    """What a provider said about a task, in our vocabulary."""

    state: str
    video_url: str | None = None
    last_frame_url: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    duration_s: int | None = None  # the real duration, where the provider chose it
    raw: Any = None

    @property
    def is_terminal(self) -> bool:
        return self.state in State.TERMINAL


@dataclass(frozen=True)
class Capabilities:
    """What a provider accepts. Data, so settings can override it when a provider's docs change."""

    aspect_ratios: tuple[str, ...]
    resolutions: tuple[str, ...]
    durations: tuple[int, ...]  # allowed fixed durations
    auto_duration: bool = False  # accepts AUTO_DURATION (-1)
    max_images: int = 2
    image_roles: tuple[str, ...] = ("first_frame", "last_frame")
    base64_images: bool = False  # accepts data: URIs as well as URLs
    audio: bool = True
    seed: bool = False
    camera_fixed: bool = False
    watermark: bool = False
    callbacks: bool = False
    cancel: bool = False
    prompt_max: int = 2500
    extra: dict[str, Any] = field(default_factory=dict)

    def with_overrides(self, overrides: dict[str, Any]) -> Capabilities:
        cleaned = {k: tuple(v) if isinstance(v, list) else v for k, v in overrides.items()}
        return replace(self, **cleaned)

    @property
    def max_duration(self) -> int:
        return max(self.durations)

    def problems(self, spec: GenerationSpec) -> dict[str, str]:
        """Every field of `spec` this provider cannot honour, with the allowed values."""
        errors: dict[str, str] = {}
        if len(spec.prompt) > self.prompt_max:
            errors["prompt"] = f"must be at most {self.prompt_max} characters for this provider."
        if spec.aspect_ratio not in self.aspect_ratios:
            errors["aspect_ratio"] = (
                f"'{spec.aspect_ratio}' is not offered; allowed: {', '.join(self.aspect_ratios)}."
            )
        if spec.resolution not in self.resolutions:
            errors["resolution"] = (
                f"'{spec.resolution}' is not offered; allowed: {', '.join(self.resolutions)}."
            )
        if spec.duration == AUTO_DURATION:
            if not self.auto_duration:
                errors["duration"] = f"auto duration is not offered; allowed: {_list(self.durations)}."
        elif spec.duration not in self.durations:
            errors["duration"] = f"{spec.duration} s is not offered; allowed: {_list(self.durations)}."
        images = spec.images
        if len(images) > self.max_images:
            errors["last_frame" if self.max_images == 1 else "first_frame"] = (
                f"at most {self.max_images} image(s) are accepted."
            )
        for role, url in images:
            if role not in self.image_roles:
                errors[role] = f"this provider does not take a {role.replace('_', ' ')} image."
            elif url.startswith("data:") and not self.base64_images:
                errors[role] = "this provider takes image URLs only, not data: URIs."
        if spec.generate_audio and not self.audio:
            errors["generate_audio"] = "audio is not offered by this provider."
        if spec.seed not in (None, -1) and not self.seed:
            errors["seed"] = "a fixed seed is not offered by this provider."
        if spec.camera_fixed and not self.camera_fixed:
            errors["camera_fixed"] = "a fixed camera is not offered by this provider."
        if spec.watermark and not self.watermark:
            errors["watermark"] = "a watermark is not offered by this provider."
        return errors


def _list(durations: tuple[int, ...]) -> str:
    values = sorted(durations)
    if values == list(range(values[0], values[-1] + 1)) and len(values) > 2:
        return f"{values[0]} to {values[-1]} seconds"
    return ", ".join(str(v) for v in values) + " seconds"


class Adapter:
    """One provider configured from settings. Subclasses implement one wire protocol."""

    protocol: ClassVar[str]
    default_capabilities: ClassVar[Capabilities]

    def __init__(
        self,
        slug: str,
        base_url: str,
        api_key: str,
        *,
        enabled: bool = True,
        capabilities: Capabilities | None = None,
        options: dict[str, Any] | None = None,
    ):
        self.slug = slug
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.enabled = enabled
        self.capabilities = capabilities or self.default_capabilities
        self.options = options or {}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.slug} {self.base_url}>"

    @property
    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}", "Content-Type": "application/json"}

    def build_create(self, spec: GenerationSpec, callback_url: str | None) -> httpx.Request:
        raise NotImplementedError

    def parse_create(self, response: httpx.Response) -> str:
        raise NotImplementedError

    def build_status(self, task_id: str) -> httpx.Request:
        raise NotImplementedError

    def parse_status(self, response: httpx.Response) -> Update:
        raise NotImplementedError

    def parse_callback(self, body: bytes, headers: dict[str, str]) -> tuple[str, Update]:
        raise NotImplementedError

    def build_cancel(self, task_id: str) -> httpx.Request | None:
        """A request that cancels the task, or None where the protocol has no cancel."""
        return None

    @property
    def callbacks_are_signed(self) -> bool:
        """True when parse_callback verified a signature, so the update can be trusted as is."""
        return False
