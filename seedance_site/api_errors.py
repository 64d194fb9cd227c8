"""Renders every API error, ours or DRF's, as {"error": {"code", "message", "details"}}."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from seedance_site.errors import DomainError, error_body


def _flatten(detail) -> dict:
    """DRF's nested ValidationError detail -> {"field": "first message", ...}."""
    if isinstance(detail, dict):
        out = {}
        for field, value in detail.items():
            if isinstance(value, dict):
                for sub, msg in _flatten(value).items():
                    out[f"{field}.{sub}"] = msg
            elif isinstance(value, list) and value:
                out[field] = str(value[0])
            else:
                out[field] = str(value)
        return out
    if isinstance(detail, list):
        return {"non_field_errors": str(detail[0]) if detail else "Invalid input."}
    return {"non_field_errors": str(detail)}


_DRF_CODES = {
    exceptions.ParseError: ("malformed_request", status.HTTP_400_BAD_REQUEST),
    exceptions.UnsupportedMediaType: ("unsupported_media_type", status.HTTP_415_UNSUPPORTED_MEDIA_TYPE),
    exceptions.NotAuthenticated: ("not_authenticated", status.HTTP_401_UNAUTHORIZED),
    exceptions.PermissionDenied: ("permission_denied", status.HTTP_403_FORBIDDEN),
    exceptions.NotFound: ("not_found", status.HTTP_404_NOT_FOUND),
    exceptions.MethodNotAllowed: ("method_not_allowed", status.HTTP_405_METHOD_NOT_ALLOWED),
    exceptions.NotAcceptable: ("not_acceptable", status.HTTP_406_NOT_ACCEPTABLE),
    exceptions.Throttled: ("rate_limited", status.HTTP_429_TOO_MANY_REQUESTS),
}


def api_exception_handler(exc, context):
    """DRF EXCEPTION_HANDLER: every error, ours or DRF's, in the one shape."""
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.message, exc.details), status=exc.http_status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("Not found.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real 500: Django's handler (api_server_error) answers

    if isinstance(exc, exceptions.ValidationError):
        details = _flatten(exc.detail)
        fields = ", ".join(details)
        message = f"Invalid input: {fields}." if fields else "Invalid input."
        response.data = error_body("validation_error", message, details)
        response.status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
        return response
    if isinstance(exc, exceptions.AuthenticationFailed):
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else "invalid_api_key"
        response.data = error_body(code, str(exc.detail))
        response.status_code = status.HTTP_401_UNAUTHORIZED
        return response
    for cls, (code, http_status) in _DRF_CODES.items():
        if isinstance(exc, cls):
            details = {"retry_after": exc.wait} if isinstance(exc, exceptions.Throttled) and exc.wait else {}
            response.data = error_body(code, str(exc.detail), details)
            response.status_code = http_status
            return response
    # Any other APIException: its own code (e.g. "throttled"-style subclasses), else "error".
    codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else None
    response.data = error_body(codes if isinstance(codes, str) else "error", str(getattr(exc, "detail", exc)))
    return response


def _wants_json(request) -> bool:
    return request.path.startswith(("/api/", "/callbacks/"))


def not_found(request, exception=None):
    if _wants_json(request):
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def server_error(request):
    if _wants_json(request):
        return JsonResponse(
            error_body("server_error", "Something went wrong on our side; it was logged."), status=500
        )
    from django.views.defaults import server_error as html_server_error

    return html_server_error(request)
