"""Request and response shapes of the REST API v1.

Request serializers are strict: JSON types are not coerced ("8" is not 8, "true" is not
true) and unknown fields are refused by name, so a typo never silently falls back to a
default that costs money.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from generations import files, providers, routing
from generations.api.images import ImageProblem, check_image
from generations.api.links import result_url
from generations.api.pagination import PageSerializer
from generations.models import Generation, Status
from generations.spec import (
    ASPECT_RATIOS,
    AUTO_DURATION,
    DEFAULT_MODEL,
    LONGEST_DURATION,
    MAX_REFERENCE_IMAGES,
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

DURATIONS = (AUTO_DURATION, *range(MIN_DURATION, LONGEST_DURATION + 1))


# --- Strict fields ------------------------------------------------------------------------------


class StrictCharField(serializers.CharField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data):
        # bool is an int in Python; in JSON it is not a number.
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerChoiceField(serializers.ChoiceField):
    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


class StrictChoiceField(serializers.ChoiceField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


# In OpenAPI 3.0 (no "null" type): a value of a string-or-null field that is not a string.
NULL = {"not": {"type": "string"}}

IMAGE_HELP = (
    "An http(s) URL of an image, a data:image/...;base64 URI (jpeg, png, webp, bmp, tiff, gif, heic, "
    "heif; at most 10 MB, each side 300..6000 px, aspect ratio between 0.4 and 2.5), or the id or url "
    "of a file uploaded with POST /api/v1/files. Works on every provider: we host a copy where a "
    "provider takes URLs only, and convert a format it does not take."
)
# JSON Schema cannot say "holds a real image of the right size": the custom format names that
# rule (generations.api.images.check_image), and the fuzzer draws real images for it.
IMAGE_FORMAT = "seedance-image"
IMAGE_SCHEMA = {
    "type": "string",
    "format": IMAGE_FORMAT,
    "maxLength": 14 * 1024 * 1024,
    "pattern": rf"({validators.URL_PATTERN})|(^data:image/(png|jpeg|jpg|webp|bmp|tiff|tif|gif|heic|heif);base64,"
    r"[A-Za-z0-9+/]*={0,2}$)|(^file_[0-9a-z]{26}$)",
    "description": IMAGE_HELP,
}


@extend_schema_field(IMAGE_SCHEMA)
class ImageField(StrictCharField):
    """One image, checked by generations.api.images; a file must be the tenant's (context "tenant")."""

    def __init__(self, **kwargs):
        super().__init__(trim_whitespace=False, **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if files.is_file_reference(value):
            # Our own file (its id, or the URL we answered for it), looked up for the tenant.
            tenant = self.context.get("tenant")
            if tenant is not None and files.tenant_file(tenant, value) is None:
                raise serializers.ValidationError("no such file (unknown, expired or not yours).")
            return value
        try:
            check_image(value)
        except ImageProblem as problem:
            raise serializers.ValidationError(str(problem)) from None
        return value


@extend_schema_field({**IMAGE_SCHEMA, "nullable": True})
class OptionalImageField(ImageField):
    def __init__(self, **kwargs):
        super().__init__(allow_null=True, required=False, default=None, **kwargs)


URL_SCHEMA = {
    "type": "string",
    "format": "uri",
    "maxLength": validators.MAX_URL_LENGTH,
    "pattern": validators.URL_PATTERN,
    "description": "An http(s) URL on a public address (loopback, private, link-local and metadata "
    "addresses are refused, as for the webhook endpoint).",
}


@extend_schema_field(URL_SCHEMA)
class PublicUrlField(StrictCharField):
    """A URL we will POST to: seedance_site.validators.check_url (form and outbound guard)."""

    def __init__(self, **kwargs):
        super().__init__(trim_whitespace=False, **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value == "" and self.allow_blank:
            return value
        try:
            return validators.check_url(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages[0]) from None


@extend_schema_field({**URL_SCHEMA, "nullable": True})
class OptionalPublicUrlField(PublicUrlField):
    pass


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know, naming each one."""

    def get_fields(self):
        # DRF deep-copies every declared field for every request body (~0.1 ms of the create's
        # ~3 ms of CPU). These scalar fields keep no state while validating: bind() and the
        # provider choices set attributes on the copy, and what the copies share (validators,
        # error messages) is only read. A nested serializer is still deep-copied.
        return {
            name: copy.deepcopy(field) if isinstance(field, serializers.BaseSerializer) else copy.copy(field)
            for name, field in self._declared_fields.items()
        }

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: "Unknown field." for name in unknown})
        return super().to_internal_value(data)


# --- Requests -----------------------------------------------------------------------------------


class GenerationRequestSerializer(StrictSerializer):
    """The body of POST /api/v1/generations and POST /api/v1/quotes; only `prompt` is required."""

    prompt = StrictCharField(min_length=PROMPT_MIN, max_length=PROMPT_MAX, trim_whitespace=False)
    provider = StrictChoiceField(
        choices=list(routing.MODES),
        default="auto",
        help_text="auto (configured order), cheapest, fastest, or a provider's slug.",
    )
    model = StrictChoiceField(choices=MODELS, default=DEFAULT_MODEL)
    service_tier = StrictChoiceField(
        choices=SERVICE_TIERS,
        allow_null=True,
        default=None,
        help_text="Where a provider has tiers: flex is slower and cheaper. null: the provider's default.",
    )
    aspect_ratio = StrictChoiceField(choices=ASPECT_RATIOS, default="16:9")
    resolution = StrictChoiceField(choices=RESOLUTIONS, default="720p")
    duration = StrictIntegerChoiceField(
        choices=DURATIONS, default=8, help_text=f"Seconds; {AUTO_DURATION} lets the model choose."
    )
    generate_audio = StrictBooleanField(default=False)
    camera_fixed = StrictBooleanField(default=False)
    seed = StrictIntegerField(min_value=SEED_MIN, max_value=SEED_MAX, allow_null=True, default=None)
    watermark = StrictBooleanField(default=False)
    first_frame = OptionalImageField()
    last_frame = OptionalImageField()
    reference_images = serializers.ListField(
        child=ImageField(),
        max_length=MAX_REFERENCE_IMAGES,
        default=list,
        help_text="Seedance 2.0: 1 to 4 images the video should draw on (not with first/last frame).",
    )
    callback_url = OptionalPublicUrlField(
        allow_null=True,
        default=None,
        help_text="Receives the generation JSON (signed) when its status changes.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only providers that are switched on may be asked for by name.
        self.fields["provider"].choices = [*routing.MODES, *(a.slug for a in providers.enabled_adapters())]

    # A last frame needs a first frame (validate() below). NULL: a nullable field given as null.
    request_schema_rules = {
        "allOf": [
            {
                "anyOf": [
                    {"not": {"required": ["last_frame"]}},
                    {"properties": {"last_frame": NULL}},
                    {"required": ["first_frame"], "properties": {"first_frame": {"type": "string"}}},
                ]
            },
            # reference_images cannot be combined with frames (validate() below).
            {
                "anyOf": [
                    {"not": {"required": ["reference_images"]}},
                    {"properties": {"reference_images": {"maxItems": 0}}},
                    {"properties": {"first_frame": NULL, "last_frame": NULL}},
                ]
            },
        ]
    }

    def validate(self, attrs):
        if attrs.get("last_frame") and not attrs.get("first_frame"):
            raise serializers.ValidationError({"last_frame": "needs a first_frame too."})
        if attrs.get("reference_images") and (attrs.get("first_frame") or attrs.get("last_frame")):
            raise serializers.ValidationError(
                {"reference_images": "cannot be combined with first_frame or last_frame."}
            )
        return attrs

    def spec(self) -> GenerationSpec:
        data = dict(self.validated_data)
        data["reference_images"] = tuple(data["reference_images"])
        return GenerationSpec(**{name: data[name] for name in GenerationSpec.__dataclass_fields__})


class GenerationFilterSerializer(PageSerializer):
    """Query parameters of GET /api/v1/generations."""

    status = serializers.ChoiceField(choices=Status.choices, required=False)
    provider = serializers.CharField(max_length=20, required=False)
    created_after = serializers.DateTimeField(required=False, help_text="ISO 8601; inclusive.")
    created_before = serializers.DateTimeField(required=False, help_text="ISO 8601; exclusive.")

    def filter(self, queryset):
        data = self.validated_data
        if "status" in data:
            queryset = queryset.filter(status=data["status"])
        if "provider" in data:
            queryset = queryset.filter(provider=data["provider"])
        if "created_after" in data:
            queryset = queryset.filter(created_at__gte=data["created_after"])
        if "created_before" in data:
            queryset = queryset.filter(created_at__lt=data["created_before"])
        return queryset


# --- Responses ----------------------------------------------------------------------------------


class CostSerializer(serializers.Serializer):
    quoted = serializers.IntegerField(help_text="Credits quoted at creation.")
    held = serializers.IntegerField(help_text="Credits reserved while the job runs.")
    charged = serializers.IntegerField(help_text="Credits finally taken (0 unless it succeeded).")


class GenerationErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


def _shown_image(value: str) -> str | None:
    # Echoing a 10 MB data: URI in every list item would make history pages huge.
    if not value or not value.startswith(("http://", "https://", "data:")):
        return None  # only links a browser may follow are echoed
    if value.startswith("data:"):
        head, _, payload = value.partition(",")
        return f"{head},[{len(payload)} base64 characters omitted]"
    return value


_TIMESTAMP = serializers.DateTimeField()


def _timestamp(value) -> str | None:
    return None if value is None else _TIMESTAMP.to_representation(value)


class GenerationSerializer(serializers.Serializer):
    """A generation as the API and customer webhooks show it.

    The declared fields are the contract: the OpenAPI schema is built from them.
    `to_representation()` writes the same keys out directly, because building them field by
    field (DRF deep-copies every declared field per instance) cost more CPU than the rest of
    a create's response. tests/api/test_generation_json.py holds the two to the same keys.
    """

    id = serializers.CharField(help_text="Opaque id, e.g. gen_01jd3...")
    status = serializers.ChoiceField(choices=Status.choices)
    provider = serializers.CharField(help_text="The provider the job runs on.")
    prompt = serializers.CharField()
    first_frame = serializers.SerializerMethodField(
        help_text="The image URL sent; data: URIs are shown without their payload."
    )
    last_frame = serializers.SerializerMethodField(help_text="As first_frame.")
    aspect_ratio = serializers.CharField()
    resolution = serializers.CharField()
    duration = serializers.IntegerField(help_text=f"Seconds; {AUTO_DURATION} = chosen by the model.")
    generate_audio = serializers.BooleanField()
    camera_fixed = serializers.BooleanField()
    seed = serializers.IntegerField(allow_null=True)
    watermark = serializers.BooleanField()
    model = serializers.CharField()
    service_tier = serializers.CharField(allow_null=True)
    reference_images = serializers.SerializerMethodField(help_text="As first_frame, one per image.")
    callback_url = serializers.SerializerMethodField()
    cost = serializers.SerializerMethodField()
    video_url = serializers.SerializerMethodField(
        help_text="Our copy of the video (needs the API key); null until it is ready."
    )
    last_frame_url = serializers.SerializerMethodField(help_text="Our copy of the last frame, if any.")
    poster_url = serializers.SerializerMethodField(
        help_text="A still of the video (JPEG) once it succeeded; null for a few seconds while it is made, "
        "or when the video could not be decoded and the provider gave no last frame."
    )
    error = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, generation: Generation) -> dict:
        g = generation
        return {
            "id": g.id,
            "status": g.status,
            "provider": g.provider,
            "prompt": g.prompt,
            "first_frame": self.get_first_frame(g),
            "last_frame": self.get_last_frame(g),
            "aspect_ratio": g.aspect_ratio,
            "resolution": g.resolution,
            "duration": g.duration,
            "generate_audio": g.generate_audio,
            "camera_fixed": g.camera_fixed,
            "seed": g.seed,
            "watermark": g.watermark,
            "model": g.model,
            "service_tier": g.service_tier,
            "reference_images": self.get_reference_images(g),
            "callback_url": self.get_callback_url(g),
            "cost": self.get_cost(g),
            "video_url": self.get_video_url(g),
            "last_frame_url": self.get_last_frame_url(g),
            "poster_url": self.get_poster_url(g),
            "error": self.get_error(g),
            "created_at": _timestamp(g.created_at),
            "started_at": _timestamp(g.started_at),
            "finished_at": _timestamp(g.finished_at),
        }

    @extend_schema_field({"type": "string", "nullable": True})
    def get_first_frame(self, generation: Generation) -> str | None:
        return _shown_image(generation.first_frame)

    @extend_schema_field({"type": "string", "nullable": True})
    def get_last_frame(self, generation: Generation) -> str | None:
        return _shown_image(generation.last_frame)

    @extend_schema_field({"type": "array", "items": {"type": "string"}})
    def get_reference_images(self, generation: Generation) -> list[str]:
        return [_shown_image(value) for value in generation.reference_images or []]

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_callback_url(self, generation: Generation) -> str | None:
        return generation.callback_url or None

    @extend_schema_field(CostSerializer)
    def get_cost(self, generation: Generation) -> dict:
        return {"quoted": generation.quoted, "held": generation.held, "charged": generation.charged}

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_video_url(self, generation: Generation) -> str | None:
        return result_url(generation, "video")

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_last_frame_url(self, generation: Generation) -> str | None:
        return result_url(generation, "last_frame")

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_poster_url(self, generation: Generation) -> str | None:
        return result_url(generation, "poster")

    @extend_schema_field(GenerationErrorSerializer(allow_null=True))
    def get_error(self, generation: Generation) -> dict | None:
        if not (generation.error_code or generation.error_message):
            return None
        return {"code": generation.error_code or "error", "message": generation.error_message}


class QuoteSerializer(serializers.Serializer):
    provider = serializers.CharField(help_text="The provider the quote is for (auto resolved).")
    credits = serializers.IntegerField(help_text="What a create with this body would hold.")
    seconds = serializers.IntegerField(
        help_text="Seconds priced (the longest possible when duration is auto)."
    )
    rate = serializers.IntegerField(help_text="Price per second before the audio factor, in rate_unit.")
    rate_unit = serializers.CharField(help_text="millicredits_per_second")
    audio_factor = serializers.IntegerField(help_text="1 without audio.")
    available = serializers.IntegerField(help_text="The tenant's available credits now.")


class BalanceSerializer(serializers.Serializer):
    balance = serializers.IntegerField()
    held = serializers.IntegerField()
    available = serializers.IntegerField(help_text="balance - held: what new generations may use.")


class LedgerEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(
        help_text="grant, purchase, charge, refund, adjustment, payment_refund or dispute."
    )
    amount = serializers.IntegerField(help_text="Signed credits.")
    balance_after = serializers.IntegerField()
    generation = serializers.CharField(source="generation_id", allow_null=True)
    note = serializers.CharField()
    reference = serializers.CharField(
        help_text="The Stripe id behind a payment's entry: Checkout Session (cs_...) or PaymentIntent "
        "(pi_...) of a purchase, the refunded charge (ch_...), the dispute (du_...); empty otherwise."
    )
    created_at = serializers.DateTimeField()


class CapabilitiesSerializer(serializers.Serializer):
    aspect_ratios = serializers.ListField(child=serializers.CharField())
    resolutions = serializers.ListField(child=serializers.CharField())
    durations = serializers.ListField(child=serializers.IntegerField())
    auto_duration = serializers.BooleanField()
    max_images = serializers.IntegerField()
    image_roles = serializers.ListField(child=serializers.CharField())
    max_reference_images = serializers.IntegerField()
    base64_images = serializers.BooleanField(
        help_text="false: data: URIs and files reach it as our hosted URL."
    )
    image_formats = serializers.ListField(child=serializers.CharField(), help_text="Others are converted.")
    audio = serializers.BooleanField()
    seed = serializers.BooleanField()
    camera_fixed = serializers.BooleanField()
    watermark = serializers.BooleanField()
    callbacks = serializers.BooleanField()
    cancel = serializers.BooleanField()
    prompt_max = serializers.IntegerField()
    prompt_max_chinese_chars = serializers.IntegerField(allow_null=True)
    prompt_max_words = serializers.IntegerField(allow_null=True)
    text_only_resolutions = serializers.ListField(child=serializers.CharField(), allow_null=True)
    resolution_param = serializers.BooleanField()
    service_tiers = serializers.ListField(child=serializers.CharField())
    models = serializers.ListField(child=serializers.CharField())
    model_overrides = serializers.DictField(help_text="Per model other than the default: what differs.")
    extra = serializers.DictField()


class ReferencePriceSerializer(serializers.Serializer):
    spec = serializers.DictField()
    credits = serializers.IntegerField(allow_null=True, help_text="null: the provider cannot run it.")


class ProviderHealthSerializer(serializers.Serializer):
    skipped = serializers.BooleanField()
    skipped_until = serializers.IntegerField(allow_null=True, help_text="Unix time.")
    recent_calls = serializers.IntegerField()
    recent_failures = serializers.IntegerField()


class ProviderSerializer(serializers.Serializer):
    slug = serializers.CharField()
    capabilities = CapabilitiesSerializer()
    reference_price = ReferencePriceSerializer()
    median_seconds = serializers.FloatField(allow_null=True)
    success_rate = serializers.FloatField(allow_null=True)
    health = ProviderHealthSerializer()


class FileSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="Use it as first_frame, last_frame or a reference image.")
    url = serializers.SerializerMethodField(
        help_text="Works as an image value too (and is public until expiry)."
    )
    kind = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    size = serializers.IntegerField(help_text="Bytes.")
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()

    @extend_schema_field({"type": "string", "format": "uri"})
    def get_url(self, image) -> str:
        return files.hosted_url(image, image.expires_at)


class GenerationPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The next (older) page, or null.")
    previous = serializers.URLField(allow_null=True, help_text="The previous (newer) page, or null.")
    results = GenerationSerializer(many=True)


class LedgerPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = LedgerEntrySerializer(many=True)


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    details = serializers.DictField(help_text="Per field messages, or numbers such as required/available.")


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()
