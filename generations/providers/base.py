"""The sans-IO adapter contract every provider module implements.

An adapter builds `httpx.Request`s and parses responses and callback bodies; it never sends
anything. `generations.providers.transport` sends. So every vendor quirk is testable on saved
JSON with no network.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field, fields, replace
from typing import Any, ClassVar

import httpx

from generations.spec import AUTO_DURATION, DEFAULT_MODEL, GenerationSpec, is_chinese, prompt_words


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


class CallbackRejected(ProviderError):
    """A callback we must not even take as a wake-up: malformed, or its signature does not verify.

    `code` is "malformed_callback" or "bad_signature"; callback views answer 400/401 and log it.
    """

    def __init__(self, message: str, *, code: str = "malformed_callback"):
        super().__init__(message, retryable=False, code=code, task_created=None)


class State:
    """Normalised provider task states (docs/providers.md)."""

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
    # How long the task took from its creation to its end, by the provider's own clock, where
    # its status says so (the poll schedule learns from it; generations.polling).
    run_seconds: float | None = None
    raw: Any = None

    @property
    def is_terminal(self) -> bool:
        return self.state in State.TERMINAL


@dataclass(frozen=True)
class Callback:
    """What a provider callback tells us: which task to ask the provider about, nothing more.

    A callback is never acted on as is (Kie's signature covers only `taskId.timestamp`, the
    others are unsigned): the status fetch it triggers decides. So there is no URL or result
    here. `claimed` is the state the body claims, for the timeline only. `replay_key` is set
    when the delivery was signed: the signature (with its timestamp), which may be used once.
    """

    task_id: str
    claimed: str
    replay_key: str | None = None
    raw: Any = None


@dataclass(frozen=True)
class Capabilities:
    """What a provider accepts. Data, so settings can override it when a provider's docs change.

    `model_overrides` maps a model other than Seedance 1.5 Pro to the fields that differ for it
    (durations, audio, image roles, ...); `for_model()` applies them.
    """

    aspect_ratios: tuple[str, ...]
    resolutions: tuple[str, ...]
    durations: tuple[int, ...]  # allowed fixed durations
    auto_duration: bool = False  # accepts AUTO_DURATION (-1)
    max_images: int = 2  # first and last frame
    image_roles: tuple[str, ...] = ("first_frame", "last_frame")
    max_reference_images: int = 0
    base64_images: bool = False  # takes data: URIs; otherwise we host the image and send a URL
    image_formats: tuple[str, ...] = ("jpeg", "png", "webp")  # others are converted before sending
    audio: bool = True
    seed: bool = False
    camera_fixed: bool = False
    watermark: bool = False
    callbacks: bool = False
    cancel: bool = False
    prompt_max: int = 2500
    # Limits counted the provider's way: characters of a Chinese prompt, words of any other.
    prompt_max_chinese_chars: int | None = None
    prompt_max_words: int | None = None
    # Resolutions for text-only jobs where the provider documents fewer than with images.
    text_only_resolutions: tuple[str, ...] | None = None
    # False: the `resolution` field is not sent, so only the provider's default (720p) is offered.
    resolution_param: bool = True
    service_tiers: tuple[str, ...] = ()
    models: tuple[str, ...] = (DEFAULT_MODEL,)
    model_overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def with_overrides(self, overrides: dict[str, Any]) -> Capabilities:
        """A copy with some fields replaced; raises ValueError naming any unknown field."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ValueError(
                f"unknown capability field(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        for model, changes in (overrides.get("model_overrides") or {}).items():
            bad = sorted(set(changes) - known)
            if bad:
                raise ValueError(f"model_overrides[{model!r}]: unknown capability field(s) {', '.join(bad)}")
        cleaned = {k: tuple(v) if isinstance(v, list) else v for k, v in overrides.items()}
        return replace(self, **cleaned)

    def for_model(self, model: str) -> Capabilities:
        """The capabilities that apply to jobs on `model`."""
        changes = self.model_overrides.get(model)
        if not changes:
            return self
        return replace(self, **{k: tuple(v) if isinstance(v, list) else v for k, v in changes.items()})

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, for GET /api/v1/providers."""
        return {f.name: _jsonable(getattr(self, f.name)) for f in fields(self)}

    @property
    def max_duration(self) -> int:
        return max(self.durations)

    def offered_resolutions(self, spec: GenerationSpec) -> tuple[str, ...]:
        if not self.resolution_param:
            return (PROVIDER_DEFAULT_RESOLUTION,)
        if spec.is_text_only and self.text_only_resolutions is not None:
            return self.text_only_resolutions
        return self.resolutions

    def problems(self, spec: GenerationSpec, *, hosted_images: bool = True) -> dict[str, str]:
        """Every field of `spec` this provider cannot honour, with the allowed values.

        `hosted_images`: data: URIs and uploaded files will still be turned into what the provider
        takes (a hosted URL, a converted format). False for a spec already built for a provider.
        """
        if spec.model not in self.models:
            return {"model": f"'{spec.model}' is not offered; allowed: {', '.join(self.models)}."}
        caps = self.for_model(spec.model)
        errors: dict[str, str] = {}
        prompt_problem = caps._prompt_problem(spec.prompt)
        if prompt_problem:
            errors["prompt"] = prompt_problem
        if spec.aspect_ratio not in caps.aspect_ratios:
            errors["aspect_ratio"] = (
                f"'{spec.aspect_ratio}' is not offered; allowed: {', '.join(caps.aspect_ratios)}."
            )
        resolutions = caps.offered_resolutions(spec)
        if spec.resolution not in resolutions:
            what = " for text-only jobs" if resolutions is caps.text_only_resolutions else ""
            errors["resolution"] = (
                f"'{spec.resolution}' is not offered{what}; allowed: {', '.join(resolutions)}."
            )
        if spec.duration == AUTO_DURATION:
            if not caps.auto_duration:
                errors["duration"] = f"auto duration is not offered; allowed: {_list(caps.durations)}."
        elif spec.duration not in caps.durations:
            errors["duration"] = f"{spec.duration} s is not offered; allowed: {_list(caps.durations)}."
        errors.update(caps._image_problems(spec, hosted_images))
        if spec.service_tier is not None and spec.service_tier not in caps.service_tiers:
            errors["service_tier"] = (
                f"'{spec.service_tier}' is not offered; allowed: {', '.join(caps.service_tiers)}."
                if caps.service_tiers
                else "this provider has no service tiers."
            )
        if spec.generate_audio and not caps.audio:
            errors["generate_audio"] = "audio is not offered by this provider."
        if spec.seed not in (None, -1) and not caps.seed:
            errors["seed"] = "a fixed seed is not offered by this provider."
        if spec.camera_fixed and not caps.camera_fixed:
            errors["camera_fixed"] = "a fixed camera is not offered by this provider."
        if spec.watermark and not caps.watermark:
            errors["watermark"] = "a watermark is not offered by this provider."
        return errors

    def _prompt_problem(self, prompt: str) -> str | None:
        if len(prompt) > self.prompt_max:
            return f"must be at most {self.prompt_max} characters for this provider."
        if is_chinese(prompt):
            if self.prompt_max_chinese_chars is not None and len(prompt) > self.prompt_max_chinese_chars:
                return (
                    f"a Chinese prompt may be at most {self.prompt_max_chinese_chars} characters "
                    f"for this provider (got {len(prompt)})."
                )
        elif self.prompt_max_words is not None and (words := prompt_words(prompt)) > self.prompt_max_words:
            return f"may be at most {self.prompt_max_words} words for this provider (got {words})."
        return None

    def _image_problems(self, spec: GenerationSpec, hosted_images: bool) -> dict[str, str]:
        errors: dict[str, str] = {}
        frames = [(role, url) for role, url in spec.images if role != "reference_image"]
        if len(frames) > self.max_images:
            errors["last_frame" if self.max_images == 1 else "first_frame"] = (
                f"at most {self.max_images} image(s) are accepted."
            )
        if spec.reference_images:
            if "reference_image" not in self.image_roles or not self.max_reference_images:
                errors["reference_images"] = "reference images are not offered for this provider and model."
            elif len(spec.reference_images) > self.max_reference_images:
                errors["reference_images"] = f"at most {self.max_reference_images} reference images."
        for role, _url in frames:
            if role not in self.image_roles:
                errors[role] = f"this provider does not take a {role.replace('_', ' ')} image."
        if not hosted_images:
            for role, url in spec.images:
                field_name = "reference_images" if role == "reference_image" else role
                if url.startswith("data:"):
                    kind = url[len("data:image/") : url.find(";")]
                    if not self.base64_images:
                        errors[field_name] = "this provider takes image URLs only, not data: URIs."
                    elif kind not in self.image_formats:
                        errors[field_name] = f"this provider does not take image/{kind}."
        return errors


# What Ark-style providers generate when no resolution is sent (Seedance 1.5 Pro; inferred).
PROVIDER_DEFAULT_RESOLUTION = "720p"


def _jsonable(value):
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


logger = logging.getLogger("generations.providers")
_unknown_states_logged: set[tuple[str, str]] = set()


def unknown_state(protocol: str, value: Any) -> str:
    """An upstream state we do not know: keep polling (RUNNING), never guess a terminal state.

    Logged once per (protocol, value) so a provider adding a state is noticed but not spammed.
    """
    key = (protocol, str(value))
    if key not in _unknown_states_logged:
        _unknown_states_logged.add(key)
        logger.warning("provider %s reported unknown state %r; treating it as running", protocol, value)
    return State.RUNNING


def run_seconds(created: Any, finished: Any, *, per_second: int = 1) -> float | None:
    """Seconds from a task's creation to its end from two provider timestamps (numbers or
    numeric strings, `per_second` units a second), or None when either is missing or odd."""
    try:
        seconds = (float(finished) - float(created)) / per_second
    except (TypeError, ValueError):
        return None
    return seconds if 0 <= seconds < 7 * 24 * 3600 and float(created) > 0 else None


def require_task_id(task_id: Any, what: str) -> str:
    """The task id a create answer carried. An answer without one is ambiguous, not a refusal:
    the provider may have created a task (task_created=None), so the job is never resubmitted."""
    if not task_id:
        raise ProviderError(f"create answered without {what}", retryable=False, task_created=None)
    return str(task_id)


def json_body(response: httpx.Response) -> Any:
    """The response's JSON, or a retryable ProviderError if it is not JSON (a proxy's error page, a
    truncated body): the same call may well succeed later."""
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ProviderError(
            f"HTTP {response.status_code} with a body that is not JSON: {response.text[:200]!r}",
            retryable=True,
            code="malformed_response",
            task_created=None,
        ) from exc


def json_callback(body: bytes) -> dict:
    """A callback body as a JSON object, or CallbackRejected."""
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CallbackRejected(f"callback body is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise CallbackRejected("callback body is not a JSON object")
    return data


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

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def post_json(self, path: str, body: dict) -> httpx.Request:
        # Compact, key order as built: the exact bytes are what the fixture tests compare.
        content = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        return httpx.Request("POST", self.url(path), headers=self.auth_headers, content=content)

    def get(self, path: str, params: dict | None = None) -> httpx.Request:
        return httpx.Request("GET", self.url(path), headers=self.auth_headers, params=params)

    def build_create(self, spec: GenerationSpec, callback_url: str | None) -> httpx.Request:
        raise NotImplementedError

    def parse_create(self, response: httpx.Response) -> str:
        raise NotImplementedError

    def build_status(self, task_id: str) -> httpx.Request:
        raise NotImplementedError

    def parse_status(self, response: httpx.Response) -> Update:
        raise NotImplementedError

    def parse_callback(self, body: bytes, headers: dict[str, str]) -> Callback:
        """The task a callback is about (signature verified where the provider signs), or
        CallbackRejected. Never the result: that comes from the status call."""
        raise NotImplementedError

    def build_cancel(self, task_id: str) -> httpx.Request | None:
        """A request that cancels the task, or None where the protocol has no cancel."""
        return None

    @property
    def callbacks_are_signed(self) -> bool:
        """True when parse_callback verifies a signature (which proves the sender, not the body)."""
        return False
