"""Portal forms for generations: the New generation form and the History filters.

Field names are the API body's (prompt, provider, aspect_ratio, ...), so the form, the API and
"duplicate as new" links all speak one vocabulary.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, time, timedelta

from django import forms
from django.conf import settings

from accounts.models import Tenant, User
from generations import files
from generations.api.images import MAX_BYTES, ImageProblem, check_image, check_image_bytes
from generations.models import Generation, Status
from generations.spec import (
    ASPECT_RATIOS,
    AUTO_DURATION,
    DEFAULT_MODEL,
    LONGEST_DURATION,
    MIN_DURATION,
    MODELS,
    PROMPT_MAX,
    PROMPT_MIN,
    RESOLUTIONS,
    SERVICE_TIERS,
    GenerationSpec,
)

DURATION_CHOICES = [(AUTO_DURATION, "Auto (model chooses)")] + [
    (s, f"{s} seconds") for s in range(MIN_DURATION, LONGEST_DURATION + 1)
]


def provider_choices() -> list[tuple[str, str]]:
    from generations import providers  # the registry reads settings; imported when the form is built

    modes = [("auto", "Auto"), ("cheapest", "Cheapest"), ("fastest", "Fastest")]
    return modes + [(adapter.slug, adapter.slug) for adapter in providers.enabled_adapters()]


class GenerationForm(forms.Form):
    prompt = forms.CharField(
        min_length=PROMPT_MIN,
        max_length=PROMPT_MAX,
        widget=forms.Textarea(attrs={"rows": 5, "data-counter": "#prompt-counter"}),
        help_text="Describe the shot: subject, action, camera, light.",
    )
    provider = forms.ChoiceField(initial="auto")
    model = forms.ChoiceField(required=False, choices=[(m, m) for m in MODELS], initial=DEFAULT_MODEL)
    service_tier = forms.ChoiceField(
        label="Service tier",
        required=False,
        choices=[("", "Provider default")] + [(t, t) for t in SERVICE_TIERS],
        help_text="flex: slower and cheaper, where the provider has it.",
    )
    aspect_ratio = forms.ChoiceField(
        label="Aspect ratio", choices=[(r, r) for r in ASPECT_RATIOS], initial="16:9"
    )
    resolution = forms.ChoiceField(choices=[(r, r) for r in RESOLUTIONS], initial="720p")
    duration = forms.TypedChoiceField(choices=DURATION_CHOICES, coerce=int, initial=8)
    generate_audio = forms.BooleanField(label="Generate audio", required=False)
    camera_fixed = forms.BooleanField(label="Fixed camera", required=False)
    watermark = forms.BooleanField(label="Watermark", required=False)
    seed = forms.IntegerField(
        required=False,
        min_value=-1,
        max_value=2**32 - 1,
        help_text="Optional; the same seed repeats a result.",
    )
    first_frame = forms.FileField(
        label="First frame", required=False, widget=forms.ClearableFileInput(attrs={"accept": "image/*"})
    )
    last_frame = forms.FileField(
        label="Last frame", required=False, widget=forms.ClearableFileInput(attrs={"accept": "image/*"})
    )
    # "Duplicate as new" carries the original's frames (URLs or data: URIs) in these.
    first_frame_url = forms.CharField(required=False, widget=forms.HiddenInput, strip=False)
    last_frame_url = forms.CharField(required=False, widget=forms.HiddenInput, strip=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = provider_choices()

    @classmethod
    def initial_from(cls, generation: Generation) -> dict:
        """Initial data that repeats `generation` ("duplicate as new")."""
        return {
            "prompt": generation.prompt,
            "provider": generation.requested_provider,
            "model": generation.model,
            "service_tier": generation.service_tier or "",
            "aspect_ratio": generation.aspect_ratio,
            "resolution": generation.resolution,
            "duration": generation.duration,
            "generate_audio": generation.generate_audio,
            "camera_fixed": generation.camera_fixed,
            "watermark": generation.watermark,
            "seed": generation.seed,
            "first_frame_url": generation.first_frame,
            "last_frame_url": generation.last_frame,
        }

    def _clean_upload(self, name: str):
        """An uploaded frame passes the API's image checks (type, size, sides, ratio)."""
        upload = self.cleaned_data.get(name)
        if not upload:
            return None
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(f"Images may be at most {MAX_BYTES // (1024 * 1024)} MB.")
        data = upload.read()
        try:
            kind = check_image_bytes(data)  # the API's checks for data: URIs and files
        except ImageProblem as problem:
            raise forms.ValidationError(f"This image cannot be used: {problem}") from None
        # Goes on as a data: URI, like an API customer's: generations.files hosts a copy where
        # the provider takes URLs only.
        return f"data:image/{kind};base64,{base64.b64encode(data).decode()}"

    def _clean_image_reference(self, name: str) -> str:
        """A frame carried over by "duplicate as new": a URL or data: URI, checked as the API does."""
        value = self.cleaned_data.get(name) or ""
        if value:
            _check(value)
        return value

    def clean_first_frame(self):
        return self._clean_upload("first_frame")

    def clean_last_frame(self):
        return self._clean_upload("last_frame")

    def clean_first_frame_url(self):
        return self._clean_image_reference("first_frame_url")

    def clean_last_frame_url(self):
        return self._clean_image_reference("last_frame_url")

    def clean(self):
        data = super().clean()
        # The carried-over frames are hidden fields: say what is wrong with them at the top.
        for name, label in (("first_frame_url", "First frame"), ("last_frame_url", "Last frame")):
            for message in self.errors.get(name, []):
                self.add_error(None, f"{label}: {message}")
        has_first = data.get("first_frame") or data.get("first_frame_url")
        has_last = data.get("last_frame") or data.get("last_frame_url")
        if has_last and not has_first:
            self.add_error("last_frame", "A last frame needs a first frame too.")
        return data

    def build_spec(self) -> GenerationSpec:
        data = self.cleaned_data
        images = {
            role: data.get(role) or data.get(f"{role}_url") or None for role in ("first_frame", "last_frame")
        }
        return GenerationSpec(
            prompt=data["prompt"],
            aspect_ratio=data["aspect_ratio"],
            resolution=data["resolution"],
            duration=data["duration"],
            generate_audio=data["generate_audio"],
            camera_fixed=data["camera_fixed"],
            watermark=data["watermark"],
            seed=data["seed"],
            model=data["model"] or DEFAULT_MODEL,
            service_tier=data["service_tier"] or None,
            **images,
        )


def _check(image: str) -> None:
    if files.is_file_reference(image):
        return  # our hosted copy of an earlier job's image: the create looks it up for the tenant
    try:
        check_image(image)
    except ImageProblem as problem:
        raise forms.ValidationError(f"This image cannot be used: {problem}") from None


class HistoryFilterForm(forms.Form):
    q = forms.CharField(
        label="Search prompts",
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Search prompts…"}),
    )
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *Status.choices])
    provider = forms.ChoiceField(required=False)
    created_by = forms.TypedChoiceField(label="Created by", required=False, coerce=int, empty_value=None)
    created_after = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    created_before = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, tenant: Tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = [("", "Any provider")] + [
            (slug, slug) for slug in settings.PROVIDER_ORDER
        ]
        members = User.objects.filter(memberships__tenant=tenant).order_by("email").values_list("id", "email")
        self.fields["created_by"].choices = [("", "Anyone"), *members]

    def filter(self, queryset):
        """Apply the valid filters to `queryset`; invalid ones are shown as errors and ignored."""
        data = self.cleaned_data if self.is_valid() else {}
        if data.get("q"):
            queryset = queryset.search_prompt(data["q"])
        if data.get("status"):
            queryset = queryset.filter(status=data["status"])
        if data.get("provider"):
            queryset = queryset.filter(provider=data["provider"])
        if data.get("created_by"):
            queryset = queryset.filter(created_by_user_id=data["created_by"])
        # Whole UTC days, as datetime ranges so the (tenant, created_at) index still serves them.
        if data.get("created_after"):
            queryset = queryset.filter(created_at__gte=_day_start(data["created_after"]))
        if data.get("created_before"):
            queryset = queryset.filter(created_at__lt=_day_start(data["created_before"] + timedelta(days=1)))
        return queryset


def _day_start(day) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)
