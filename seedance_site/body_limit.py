"""The one request body limit (settings.REQUEST_MAX_BODY_BYTES) outside the API.

The API's JSON parser applies the same limit itself (generations.api.parsers), so its errors
keep each surface's shape (the Kie-compatible envelope included). Here, provider callbacks get
the JSON error body and portal pages a 413 page, before any view reads the body.
"""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render

from seedance_site import validators
from seedance_site.errors import error_body


class BodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            return self.get_response(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.REQUEST_MAX_BODY_BYTES:
            return too_large(request, length)
        return self.get_response(request)


def too_large(request, length: int | None = None):
    error = validators.BodyTooLarge(length)
    if request.path.startswith("/callbacks/"):
        return JsonResponse(error_body(error.code, error.message, error.details), status=413)
    return render(
        request, "413.html", {"max_mb": settings.REQUEST_MAX_BODY_BYTES // (1024 * 1024)}, status=413
    )
