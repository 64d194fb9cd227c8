from __future__ import annotations

from django.conf import settings
from rest_framework.parsers import JSONParser

from seedance_site.errors import DomainError


class RequestTooLarge(DomainError):
    code = "request_too_large"
    http_status = 413


class LimitedJSONParser(JSONParser):
    """JSON with a size cap: DRF reads the body stream without Django's DATA_UPLOAD_MAX_MEMORY_SIZE.

    The cap (API_MAX_BODY_BYTES) fits two 10 MB images as base64 data: URIs.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        meta = parser_context["request"].META
        try:
            length = int(meta.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.API_MAX_BODY_BYTES:
            raise RequestTooLarge(
                f"The request body is {length} bytes; at most {settings.API_MAX_BODY_BYTES} are accepted.",
                details={"max_bytes": settings.API_MAX_BODY_BYTES},
            )
        return super().parse(stream, media_type, parser_context)
