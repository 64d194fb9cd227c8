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
    404: ("No such object for this API key's tenant.", "not_found", "Not found.", None),
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
