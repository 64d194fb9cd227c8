"""The normalised request every surface (API, portal, Kie-compatible API) turns into.

Providers translate a `GenerationSpec` into their own wire format; billing prices it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from seedance_site.errors import DomainError

ASPECT_RATIOS = ("adaptive", "16:9", "4:3", "1:1", "3:4", "9:16", "21:9")
RESOLUTIONS = ("480p", "720p", "1080p")
MIN_DURATION, MAX_DURATION = 4, 12
# "Let the model choose the duration (4..12 s)": Ark and aizfw accept -1 for it.
AUTO_DURATION = -1
PROMPT_MIN, PROMPT_MAX = 3, 2500


class SpecError(DomainError):
    """A spec that cannot be honoured. `errors` maps each field to what is wrong with it."""

    code = "invalid_spec"
    http_status = 422

    def __init__(self, errors: dict[str, str], prefix: str = "Invalid generation request"):
        self.errors = errors
        fields = "; ".join(f"{field}: {message}" for field, message in errors.items())
        super().__init__(f"{prefix}: {fields}", details=errors)


@dataclass(frozen=True)
class GenerationSpec:
    prompt: str
    first_frame: str | None = None  # https URL or data: URI
    last_frame: str | None = None
    aspect_ratio: str = "16:9"
    resolution: str = "720p"
    duration: int = 8  # seconds, or AUTO_DURATION
    generate_audio: bool = False
    camera_fixed: bool = False
    seed: int | None = None
    watermark: bool = False

    @property
    def images(self) -> list[tuple[str, str]]:
        """(role, url) for each image, first frame first."""
        pairs = [("first_frame", self.first_frame), ("last_frame", self.last_frame)]
        return [(role, url) for role, url in pairs if url]

    @property
    def is_auto_duration(self) -> bool:
        return self.duration == AUTO_DURATION

    def as_dict(self) -> dict:
        return asdict(self)

    def check(self) -> None:
        """Raise SpecError listing every field outside the model's own limits (no provider)."""
        errors: dict[str, str] = {}
        n = len(self.prompt or "")
        if not PROMPT_MIN <= n <= PROMPT_MAX:
            errors["prompt"] = f"must be {PROMPT_MIN} to {PROMPT_MAX} characters long (got {n})."
        if self.aspect_ratio not in ASPECT_RATIOS:
            errors["aspect_ratio"] = f"must be one of {', '.join(ASPECT_RATIOS)}."
        if self.resolution not in RESOLUTIONS:
            errors["resolution"] = f"must be one of {', '.join(RESOLUTIONS)}."
        if self.duration != AUTO_DURATION and not MIN_DURATION <= self.duration <= MAX_DURATION:
            errors["duration"] = (
                f"must be {MIN_DURATION} to {MAX_DURATION} seconds, or {AUTO_DURATION} (auto)."
            )
        if self.last_frame and not self.first_frame:
            errors["last_frame"] = "needs a first_frame too."
        if self.seed is not None and not -1 <= self.seed <= 2**32 - 1:
            errors["seed"] = "must be between -1 and 4294967295."
        if errors:
            raise SpecError(errors)
