"""OpenAPI documentation helpers: the bearer scheme, strict request bodies, error examples."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerExtension
from drf_spectacular.utils import OpenApiExample, OpenApiResponse

from generations.api.serializers import ErrorSerializer


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.auth.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key from the portal's API keys page: `Authorization: Bearer sds_...`.",
        }


class StrictSerializerSchema(OpenApiSerializerExtension):
    """Request bodies refuse unknown fields, so the schema says additionalProperties: false."""

    target_class = "generations.api.serializers.StrictSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_basic_serializer(self.target, direction)
        if direction == "request":
            schema["additionalProperties"] = False
            # Rules between fields, which the serializer's validate() enforces, said in the schema too.
            schema.update(getattr(self.target, "request_schema_rules", {}))
        return schema


def _error(code: str, message: str, details: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or {}}}


# One documented example per status; every view lists the statuses it can answer with.
ERROR_EXAMPLES = {
    400: ("Malformed JSON body.", "malformed_request", "JSON parse error - Expecting value.", None),
    401: (
        "Missing, unknown, revoked or expired API key.",
        "invalid_api_key",
        "Unknown, revoked or expired API key.",
        None,
    ),
    402: (
        "Not enough credits; nothing was created.",
        "insufficient_credits",
        "Not enough credits: this generation needs 64 credits and 10 are available.",
        {"required": 64, "available": 10},
    ),
    403: (
        "The tenant is suspended, or the key's monthly credit limit is reached.",
        "tenant_suspended",
        "Tenant 'acme' is suspended: new generations are refused.",
        None,
    ),
    404: (
        "No such object for this API key's tenant (on lists: the cursor names no page).",
        "not_found",
        "Not found.",
        None,
    ),
    409: (
        "Idempotency-Key reused with another body, or the job can no longer be cancelled.",
        "idempotency_conflict",
        "The Idempotency-Key 'order-42' was already used with a different request body; use a new key.",
        {"Idempotency-Key": "already used with a different request body."},
    ),
    413: ("The request body is too large.", "request_too_large", "The request body is too large.", None),
    415: (
        "The body is not JSON.",
        "unsupported_media_type",
        'Unsupported media type "text/plain" in request.',
        None,
    ),
    422: (
        "Invalid input; details name each field.",
        "validation_error",
        "Invalid input: duration.",
        {"duration": '"7" is not a valid choice.'},
    ),
    429: (
        "Too many requests; retry after the Retry-After header's seconds.",
        "rate_limited",
        "Request was throttled. Expected available in 12 seconds.",
        {"retry_after": 12},
    ),
}


def errors(*statuses: int) -> dict[int, OpenApiResponse]:
    """drf-spectacular `responses` entries for these error statuses, with examples."""
    out = {}
    for status in statuses:
        description, code, message, details = ERROR_EXAMPLES[status]
        out[status] = OpenApiResponse(
            ErrorSerializer,
            description=description,
            examples=[OpenApiExample(code, value=_error(code, message, details), status_codes=[str(status)])],
        )
    return out


def add_retry_after_header(result, generator, request, public):
    """POSTPROCESSING_HOOK: every documented 429 carries Retry-After."""
    for path in result.get("paths", {}).values():
        for operation in path.values():
            response = operation.get("responses", {}).get("429") if isinstance(operation, dict) else None
            if response is not None:
                response.setdefault("headers", {})["Retry-After"] = {
                    "description": "Seconds to wait before retrying.",
                    "schema": {"type": "integer"},
                }
    return result


# --- What each provider accepts, in the request schemas -----------------------------------------

# Request component -> where the spec's fields sit in it (Kie's input names some differently).
_SPEC_FIELDS = {
    "GenerationRequestRequest": {
        name: name
        for name in (
            "provider", "model", "service_tier", "prompt", "aspect_ratio", "resolution", "duration",
            "generate_audio", "seed", "camera_fixed", "watermark", "first_frame", "last_frame",
            "reference_images",
        )
    },
    "KieInputRequest": {
        "prompt": "prompt",
        "aspect_ratio": "aspect_ratio",
        "resolution": "resolution",
        "duration": "duration",
        "generate_audio": "generate_audio",
        "camera_fixed": "fixed_lens",
        "images": "input_urls",
    },
}  # fmt: skip
_DEFAULTS = {"aspect_ratio": "16:9", "resolution": "720p", "duration": 8}


def capability_rules(c, model: str, names: dict[str, str]) -> dict:
    """JSON Schema for the requests one provider can honour on one model (its problems(), stated).

    Prompt limits counted in words or Chinese characters cannot be said in JSON Schema; the
    schema's prompt maxLength is then one that no prompt can break (a word takes two characters).
    """
    from generations.spec import AUTO_DURATION, DEFAULT_MODEL

    durations = [*c.durations, *([AUTO_DURATION] if c.auto_duration else [])]
    prompt_max = min(
        c.prompt_max,
        c.prompt_max_chinese_chars or c.prompt_max,
        2 * c.prompt_max_words - 1 if c.prompt_max_words else c.prompt_max,
    )
    resolutions = list(c.resolutions) if c.resolution_param else ["720p"]
    null = {"not": {"type": "string"}}  # OpenAPI 3.0 has no "null" type: a nullable field's null
    frame = {}
    rules = {
        "model": {"enum": [model]},
        "service_tier": {"anyOf": [null, {"enum": list(c.service_tiers)}]} if c.service_tiers else null,
        "prompt": {"maxLength": prompt_max},
        "aspect_ratio": {"enum": list(c.aspect_ratios)},
        "resolution": {"enum": resolutions},
        "duration": {"anyOf": [{"enum": durations}, {"enum": [str(d) for d in durations]}]},
        "generate_audio": {} if c.audio else {"enum": [False]},
        "seed": {} if c.seed else {"anyOf": [{"not": {"type": "integer"}}, {"enum": [-1]}]},
        "camera_fixed": {} if c.camera_fixed else {"enum": [False]},
        "watermark": {} if c.watermark else {"enum": [False]},
        "first_frame": frame if "first_frame" in c.image_roles and c.max_images >= 1 else null,
        "last_frame": frame if "last_frame" in c.image_roles and c.max_images >= 2 else null,
        "reference_images": {"maxItems": c.max_reference_images if "reference_image" in c.image_roles else 0},
        "images": {"maxItems": c.max_images},
    }
    properties = {names[field]: rule for field, rule in rules.items() if field in names and rule}
    # A field left out takes its default: where the provider does not offer it, it must be given.
    required = [
        names[field]
        for field, default in {**_DEFAULTS, "model": DEFAULT_MODEL}.items()
        if field in names and "enum" in rules[field] and default not in rules[field]["enum"]
    ]
    branch = {"properties": properties, **({"required": required} if required else {})}
    text_only = c.text_only_resolutions
    if text_only is not None and c.resolution_param and "resolution" in names:
        # Without any image, only the text-only resolutions are offered.
        with_images = [
            {"required": [names[f]], "properties": {names[f]: {"type": "string"}}}
            for f in ("first_frame", "last_frame")
            if f in names
        ]
        if "reference_images" in names:
            with_images.append(
                {"required": ["reference_images"], "properties": {"reference_images": {"minItems": 1}}}
            )
        if "images" in names:
            with_images.append(
                {"required": [names["images"]], "properties": {names["images"]: {"minItems": 1}}}
            )
        text_rule = {"properties": {names["resolution"]: {"enum": list(text_only)}}}
        if "720p" not in text_only:
            text_rule["required"] = [names["resolution"]]
        branch = {"allOf": [branch, {"anyOf": [*with_images, text_rule]}]}
    return branch


def add_provider_rules(result, generator, request, public):
    """POSTPROCESSING_HOOK: a create/quote body must suit the provider it names (or, for a routing
    mode, some enabled provider), so the schema says which combinations each provider takes."""
    from generations import providers, routing

    adapters = providers.enabled_adapters()
    schemas = result.get("components", {}).get("schemas", {})
    for component, names in _SPEC_FIELDS.items():
        schema = schemas.get(component)
        if schema is None or not adapters:
            continue
        models = [None] if "model" not in names else None
        per_adapter = []
        for adapter in adapters:
            caps = adapter.capabilities
            offered = models or list(caps.models)
            branches = [capability_rules(caps.for_model(m or caps.models[0]), m or caps.models[0], names)
                        for m in offered]  # fmt: skip
            if models:  # no model field: the default model only
                branches = [b for b, m in zip(branches, offered, strict=True)]
            per_adapter.append((adapter.slug, branches))
        if "provider" in names:
            named = [
                {"allOf": [{"properties": {"provider": {"enum": [slug]}}, "required": ["provider"]},
                           {"anyOf": branches}]}
                for slug, branches in per_adapter
            ]  # fmt: skip
            modes = {
                "anyOf": [
                    {"not": {"required": ["provider"]}},
                    {"properties": {"provider": {"enum": list(routing.MODES)}}},
                ]
            }
            every = [b for _, branches in per_adapter for b in branches]
            rule = {"anyOf": [*named, {"allOf": [modes, {"anyOf": every}]}]}
        else:
            rule = {"anyOf": [b for _, branches in per_adapter for b in branches]}
        schema["allOf"] = [*schema.get("allOf", []), rule]
    return result


NO_NUL = r"^[^\x00]*$"


def forbid_nul_characters(result, generator, request, public):
    """POSTPROCESSING_HOOK: text fields refuse NUL characters (DRF's CharField, and PostgreSQL
    cannot store them), so every free-text request string and query parameter says so."""

    def visit(schema):
        if not isinstance(schema, dict):
            return
        if schema.get("type") == "string" and not ({"pattern", "enum", "format"} & schema.keys()):
            schema["pattern"] = NO_NUL
        for key in ("properties",):
            for child in schema.get(key, {}).values():
                visit(child)
        for key in ("items", "additionalProperties", "not"):
            visit(schema.get(key))
        for key in ("allOf", "anyOf", "oneOf"):
            for child in schema.get(key, []):
                visit(child)

    for name, schema in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request"):
            visit(schema)
    for path in result.get("paths", {}).values():
        for operation in path.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                visit(parameter.get("schema"))
    return result
