"""Domain errors and the one error body every API response uses.

Services raise DomainError subclasses (SpecError, InsufficientCredits, TenantSuspended, ...),
each carrying its own code and HTTP status; seedance_site.api_errors renders them, and DRF's
own errors, as {"error": {"code", "message", "details"}}.
"""

from __future__ import annotations


class DomainError(Exception):
    code = "error"
    http_status = 400

    def __init__(self, message: str, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}


def error_body(code: str, message: str, details: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or {}}}
