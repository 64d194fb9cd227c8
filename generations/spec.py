"""The normalised request every surface (API, portal, Kie-compatible API) turns into.

Providers translate a `GenerationSpec` into their own wire format; billing prices it.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from seedance_site.errors import DomainError

ASPECT_RATIOS = ("adaptive", "16:9", "4:3", "1:1", "3:4", "9:16", "21:9")
RESOLUTIONS = ("480p", "720p", "1080p")
# "Let the model choose the duration (4..12 s)": Ark and aizfw accept -1 for it.
AUTO_DURATION = -1
PROMPT_MIN, PROMPT_MAX = 3, 2500

# Models a customer may ask for. Seedance 1.5 Pro everywhere; Seedance 2.0 where a provider has it.
DEFAULT_MODEL = "seedance-1.5-pro"
SEEDANCE_2 = "seedance-2.0"
MODELS = (DEFAULT_MODEL, SEEDANCE_2)
# The seconds each model can make (a provider may offer fewer).
MODEL_DURATIONS = {DEFAULT_MODEL: (4, 12), SEEDANCE_2: (4, 15)}
MIN_DURATION, MAX_DURATION = MODEL_DURATIONS[DEFAULT_MODEL]
LONGEST_DURATION = max(high for _low, high in MODEL_DURATIONS.values())
# Seeds: -1 (random, as providers take it) or 0 .. 2**32 - 1.
SEED_MIN, SEED_MAX = -1, 2**32 - 1

# Processing tiers where a provider has them ("flex": slower, cheaper). None: the provider's own.
SERVICE_TIERS = ("default", "flex")
MAX_REFERENCE_IMAGES = 4
IMAGE_ROLES = ("first_frame", "last_frame", "reference_image")

# CJK ideographs (and their punctuation/full-width forms): what makes a prompt "Chinese".
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


def is_chinese(text: str) -> bool:
    return bool(_CJK.search(text or ""))


def prompt_words(text: str) -> int:
    """Words as an English word limit counts them: runs of non-space characters."""
    return len((text or "").split())


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
    first_frame: str | None = None  # https URL, data: URI, or an uploaded file's id (file_...)
    last_frame: str | None = None
    aspect_ratio: str = "16:9"
    resolution: str = "720p"
    duration: int = 8  # seconds, or AUTO_DURATION
    generate_audio: bool = False
    camera_fixed: bool = False
    seed: int | None = None
    watermark: bool = False
    model: str = DEFAULT_MODEL
    service_tier: str | None = None  # None: no tier asked for (the provider's default)
    reference_images: tuple[str, ...] = ()  # role reference_image (Seedance 2.0), same forms as frames

    @property
    def images(self) -> list[tuple[str, str]]:
        """(role, url) for each image: first frame, last frame, then reference images."""
        pairs = [("first_frame", self.first_frame), ("last_frame", self.last_frame)]
        pairs += [("reference_image", url) for url in self.reference_images]
        return [(role, url) for role, url in pairs if url]

    @property
    def is_text_only(self) -> bool:
        return not self.images

    @property
    def is_auto_duration(self) -> bool:
        return self.duration == AUTO_DURATION

    def as_dict(self) -> dict:
        data = asdict(self)
        data["reference_images"] = list(self.reference_images)
        return data

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
        if self.model not in MODELS:
            errors["model"] = f"must be one of {', '.join(MODELS)}."
        low, high = MODEL_DURATIONS.get(self.model, (MIN_DURATION, MAX_DURATION))
        if self.duration != AUTO_DURATION and not low <= self.duration <= high:
            errors["duration"] = f"must be {low} to {high} seconds, or {AUTO_DURATION} (auto)."
        if self.service_tier is not None and self.service_tier not in SERVICE_TIERS:
            errors["service_tier"] = f"must be one of {', '.join(SERVICE_TIERS)}."
        if self.last_frame and not self.first_frame:
            errors["last_frame"] = "needs a first_frame too."
        if self.reference_images:
            if self.first_frame or self.last_frame:
                errors["reference_images"] = "cannot be combined with first_frame or last_frame."
            elif len(self.reference_images) > MAX_REFERENCE_IMAGES:
                errors["reference_images"] = f"at most {MAX_REFERENCE_IMAGES} images."
        if self.seed is not None and not SEED_MIN <= self.seed <= SEED_MAX:
            errors["seed"] = "must be between -1 and 4294967295."
        if errors:
            raise SpecError(errors)
