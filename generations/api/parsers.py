from __future__ import annotations

from django.conf import settings
from rest_framework.parsers import JSONParser

from seedance_site import validators


class LimitedJSONParser(JSONParser):
    """JSON under the one body limit (REQUEST_MAX_BODY_BYTES, a 413) and the nesting limit (a 400).

    DRF reads the body stream itself, past Django's DATA_UPLOAD_MAX_MEMORY_SIZE, so the size is
    checked here; seedance_site.validators.parse_json does the rest (every failure a JSON 400).
    """

    def parse(self, stream, media_type=None, parser_context=None):
        meta = parser_context["request"].META
        try:
            length = int(meta.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.REQUEST_MAX_BODY_BYTES
        if length > limit:
            raise validators.BodyTooLarge(length)
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise validators.BodyTooLarge()
        return validators.parse_json(raw)
