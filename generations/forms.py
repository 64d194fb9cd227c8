"""Portal forms for generations: the New generation form and the History filters.

Field names are the API body's (prompt, provider, aspect_ratio, ...), so the form, the API and
"duplicate as new" links all speak one vocabulary.

Frames: a chosen file is stored once as the tenant's upload (generations.files, the store behind
POST /api/v1/files, with its image checks) and carried in the hidden `<role>_file` field as its
`file_...` id, so a form re-rendered for another field's error still has it; an image URL
(`<role>_url`) goes through the API's image check. Options the chosen provider lacks are refused
with the reason generations.form_options gives, the rule the API applies.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

from django import forms
from django.conf import settings
from django.utils import timezone

from accounts.models import Tenant, User
from generations import files, form_options, routing
from generations.api.images import ImageProblem, check_image
from generations.models import Generation, Status, UploadedImage
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
    SEED_MAX,
    SEED_MIN,
    SERVICE_TIERS,
    GenerationSpec,
)
from seedance_site import validators

DURATION_CHOICES = [(AUTO_DURATION, "Auto (model chooses)")] + [
    (s, f"{s} seconds") for s in range(MIN_DURATION, LONGEST_DURATION + 1)
]
FRAMES = ("first_frame", "last_frame")
MAX_BATCH = 4


def provider_choices() -> list[tuple[str, str]]:
    from generations import providers  # the registry reads settings; imported when the form is built

    modes = [(mode, form_options.MODE_LABELS[mode]) for mode in routing.MODES]
    return modes + [
        (adapter.slug, providers.display_name(adapter.slug)) for adapter in providers.enabled_adapters()
    ]


class OptionSelect(forms.Select):
    """A select whose options the chosen provider lacks are disabled, the reason in the label.
    The selected option stays enabled (a disabled one would not be sent): its error says why."""

    unavailable: dict[str, str] = {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        reason = self.unavailable.get(str(value))
        if reason and not selected:
            option["attrs"]["disabled"] = True
            option["label"] = f"{label} (not available)"
        return option


class GenerationForm(forms.Form):
    prompt = forms.CharField(
        min_length=PROMPT_MIN,
        max_length=PROMPT_MAX,
        widget=forms.Textarea(attrs={"rows": 5, "data-counter": "#prompt-counter"}),
        help_text="Describe the shot: subject, action, camera, light.",
    )
    provider = forms.ChoiceField(initial="auto", widget=OptionSelect)
    model = forms.ChoiceField(
        required=False, choices=[(m, m) for m in MODELS], initial=DEFAULT_MODEL, widget=OptionSelect
    )
    service_tier = forms.ChoiceField(
        label="Service tier",
        required=False,
        choices=[("", "Provider default")] + [(t, t) for t in SERVICE_TIERS],
        help_text="flex: slower and cheaper, where the provider has it.",
        widget=OptionSelect,
    )
    aspect_ratio = forms.ChoiceField(
        label="Aspect ratio", choices=[(r, r) for r in ASPECT_RATIOS], initial="16:9", widget=OptionSelect
    )
    resolution = forms.ChoiceField(choices=[(r, r) for r in RESOLUTIONS], initial="720p", widget=OptionSelect)
    duration = forms.TypedChoiceField(choices=DURATION_CHOICES, coerce=int, initial=8, widget=OptionSelect)
    count = forms.TypedChoiceField(
        label="Videos",
        choices=[(n, str(n)) for n in range(1, MAX_BATCH + 1)],
        coerce=int,
        initial=1,
        required=False,
        empty_value=1,
        help_text="Several videos of the same settings, priced and held together.",
    )
    generate_audio = forms.BooleanField(label="Generate audio", required=False)
    camera_fixed = forms.BooleanField(label="Fixed camera", required=False)
    watermark = forms.BooleanField(label="Watermark", required=False)
    seed = forms.IntegerField(
        required=False,
        min_value=SEED_MIN,
        max_value=SEED_MAX,
        help_text="Optional; the same seed repeats a result.",
    )
    first_frame = forms.FileField(
        label="Image file", required=False, widget=forms.FileInput(attrs={"accept": "image/*"})
    )
    last_frame = forms.FileField(
        label="Image file", required=False, widget=forms.FileInput(attrs={"accept": "image/*"})
    )
    # The kept uploads (file_... ids), and "remove it" boxes next to their previews.
    first_frame_file = forms.CharField(required=False, widget=forms.HiddenInput)
    last_frame_file = forms.CharField(required=False, widget=forms.HiddenInput)
    first_frame_clear = forms.BooleanField(label="Remove this first frame", required=False)
    last_frame_clear = forms.BooleanField(label="Remove this last frame", required=False)
    first_frame_url = forms.CharField(
        label="Or an image URL",
        required=False,
        strip=True,
        widget=forms.URLInput(attrs={"placeholder": "https://…", "inputmode": "url"}),
    )
    last_frame_url = forms.CharField(
        label="Or an image URL",
        required=False,
        strip=True,
        widget=forms.URLInput(attrs={"placeholder": "https://…", "inputmode": "url"}),
    )

    def __init__(self, *args, tenant: Tenant | None = None, store_uploads: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.store_uploads = store_uploads  # False for the live check: nothing is written
        self.kept: dict[str, UploadedImage | None] = dict.fromkeys(FRAMES)
        self.fields["provider"].choices = provider_choices()
        self.unavailable = form_options.unavailable(
            loose_spec(self.current()), self.current().get("provider")
        )
        for name, field in self.fields.items():
            if isinstance(field.widget, OptionSelect) and name != "provider":
                field.widget.unavailable = self.unavailable.get(name, {})
        for name in ("first_frame_url", "last_frame_url"):
            # The image check refuses a NUL byte itself, in the API's words.
            self.fields[name].validators = []
        self._kept_from_data()
        self._describe_and_disable()

    def _describe_and_disable(self) -> None:
        """Widgets name their help, reason and error texts (aria-describedby); an option the
        provider lacks is disabled unless it is already chosen (its error then says why)."""
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.HiddenInput):
                continue
            ids = ([f"help-{name}"] if field.help_text else []) + [f"reason-{name}", f"err-{name}"]
            field.widget.attrs["aria-describedby"] = " ".join(ids)
        values = self.current()
        for name in ("generate_audio", "camera_fixed", "watermark", "seed", "last_frame"):
            if "on" not in self.unavailable.get(name, {}):
                continue
            if name == "last_frame":
                if not (values.get("last_frame_file") or values.get("last_frame_url")):
                    self.fields["last_frame"].widget.attrs["disabled"] = True
                    self.fields["last_frame_url"].widget.attrs["disabled"] = True
            elif name == "seed":
                if str(values.get("seed") if values.get("seed") is not None else "") in ("", "-1"):
                    self.fields[name].widget.attrs["disabled"] = True
            elif not _flag(values.get(name)):
                self.fields[name].widget.attrs["disabled"] = True

    # --- What the form holds, valid or not ---------------------------------------------------

    def current(self) -> dict:
        """The raw values as they stand: the submitted data, else initial values."""
        if self.is_bound:
            return {name: self.data.get(name) for name in self.fields}
        values = {name: field.initial for name, field in self.fields.items()}
        return {**values, **self.initial}

    def _kept_from_data(self) -> None:
        if self.tenant is None:
            return
        for role in FRAMES:
            token = (
                self.data.get(f"{role}_file") if self.is_bound else self.initial.get(f"{role}_file")
            ) or ""
            if token and files.FILE_ID.fullmatch(token):
                self.kept[role] = files.tenant_file(self.tenant, token)

    @classmethod
    def initial_from(cls, generation: Generation, tenant: Tenant | None = None) -> dict:
        """Initial data that repeats `generation` ("duplicate as new"); its frames come back as
        kept uploads where they are ours (a hosted copy, a data: URI), else as URLs."""
        initial = {
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
        }
        for role in FRAMES:
            value = getattr(generation, role) or ""
            kept = _keep_frame(tenant, value) if tenant is not None and value else None
            if kept is not None:
                initial[f"{role}_file"] = kept.id
            elif value and not value.startswith("data:") and not files.is_file_reference(value):
                initial[f"{role}_url"] = value
        return initial

    # --- Checks --------------------------------------------------------------------------------

    def clean_first_frame_url(self):
        return _checked_url(self.cleaned_data.get("first_frame_url") or "")

    def clean_last_frame_url(self):
        return _checked_url(self.cleaned_data.get("last_frame_url") or "")

    def clean(self):
        data = super().clean()
        refused = [f"{role}_url" for role in FRAMES if f"{role}_url" in self.errors]
        if refused:  # a refused URL is not sent back into the page
            self.data = self.data.copy()
            for name in refused:
                self.data[name] = ""
        for role in FRAMES:
            self._clean_frame(role, data)
        has_first = self.kept["first_frame"] or data.get("first_frame_url")
        has_last = self.kept["last_frame"] or data.get("last_frame_url")
        if has_last and not has_first and "last_frame" not in self.errors:
            self.add_error("last_frame", "A last frame needs a first frame too.")
        if not self.errors:
            spec = self.build_spec()
            for field, reason in form_options.refusals(spec, data.get("provider") or "auto").items():
                self.add_error(field, reason)
        return data

    def _clean_frame(self, role: str, data: dict) -> None:
        upload = data.get(role)
        if data.get(f"{role}_clear"):
            self.kept[role] = None
        token = (self.data.get(f"{role}_file") or "") if self.is_bound else ""
        if token and self.kept[role] is None and not data.get(f"{role}_clear") and not upload:
            self.add_error(role, "The image chosen earlier has expired; choose it again.")
        if upload:
            if self.tenant is None or not self.store_uploads:
                return
            try:
                self.kept[role] = files.upload(self.tenant, upload)  # the API's checks, stored once
            except ImageProblem as problem:
                self.add_error(role, f"This image cannot be used: {problem}")
                return
        if self.kept[role] is not None and data.get(f"{role}_url"):
            self.add_error(f"{role}_url", "Choose a file or give a URL, not both.")

    def build_spec(self) -> GenerationSpec:
        data = self.cleaned_data
        images = {
            role: (self.kept[role].id if self.kept[role] else None) or data.get(f"{role}_url") or None
            for role in FRAMES
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


def _checked_url(value: str) -> str:
    """An image URL, through the API's one image check (form, scheme, no private hosts)."""
    if not value:
        return ""
    if files.is_file_reference(value) or value.startswith("data:"):
        raise forms.ValidationError("Give an http(s) URL of an image, or choose a file.")
    try:
        check_image(value)
    except ImageProblem as problem:
        raise forms.ValidationError(f"This image cannot be used: {problem}") from None
    return value


def _keep_frame(tenant: Tenant, value: str) -> UploadedImage | None:
    """Our upload behind a frame of an earlier job: its hosted file, or a data: URI stored anew."""
    if files.is_file_reference(value):
        return files.tenant_file(tenant, value)
    if value.startswith("data:"):
        try:
            data, kind = files.decode_data_uri(value)
        except ImageProblem:
            return None
        keep = timedelta(hours=settings.UPLOADED_FILE_RETENTION_HOURS)
        return files.store(
            tenant, data, kind, source=UploadedImage.Source.UPLOAD, expires_at=timezone.now() + keep
        )
    return None


def _flag(value) -> bool:
    return value not in (None, "", False, "false", "off", "0")


def _int(value, default):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def loose_spec(values: dict) -> GenerationSpec:
    """A spec for raw form values, valid or not, to price and to try options against: unknown
    values fall back to the defaults, a short prompt to a placeholder."""
    prompt = values.get("prompt") or ""
    has_first = bool(values.get("first_frame_file") or values.get("first_frame_url"))
    has_last = bool(values.get("last_frame_file") or values.get("last_frame_url"))
    return replace(
        GenerationSpec(prompt=prompt if len(prompt) >= PROMPT_MIN else "price"),
        aspect_ratio=values.get("aspect_ratio") or "16:9",
        resolution=values.get("resolution") or "720p",
        duration=_int(values.get("duration"), 8),
        generate_audio=_flag(values.get("generate_audio")),
        camera_fixed=_flag(values.get("camera_fixed")),
        watermark=_flag(values.get("watermark")),
        seed=_int(values.get("seed"), None),
        model=values.get("model") or DEFAULT_MODEL,
        service_tier=values.get("service_tier") or None,
        first_frame=form_options.PROBE_IMAGE if has_first else None,
        last_frame=form_options.PROBE_IMAGE if has_last else None,
    )


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

    def clean_created_after(self):
        day = self.cleaned_data["created_after"]
        return day if day is None else validators.check_day(day)

    def clean_created_before(self):
        day = self.cleaned_data["created_before"]
        return day if day is None else validators.check_day(day)

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
