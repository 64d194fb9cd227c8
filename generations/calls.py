"""Redacted descriptions of provider calls, for the timeline."""

from __future__ import annotations

import json


def describe_request(request) -> dict:
    """Method, URL and JSON body of an outgoing request. Headers (bearer keys) are never kept."""
    return {
        "request": {"method": request.method, "url": str(request.url), "body": _json_or_text(request.content)}
    }


def describe_response(response) -> dict:
    return {"response": {"status": response.status_code, "body": _json_or_text(response.content)}}


def _json_or_text(content: bytes):
    if not content:
        return None
    try:
        return json.loads(content)
    except ValueError:
        return content[:500].decode("utf-8", "replace")
