"""/healthz: is the database answering, and is the task queue moving?"""

from __future__ import annotations

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET


def _queue_status() -> str:
    from django_q.brokers import get_broker

    try:
        return f"ok ({get_broker().queue_size()} queued)"
    except Exception as exc:  # noqa: BLE001 - any broker failure is reported, not raised
        return f"error: {exc.__class__.__name__}"


@require_GET
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        db = "ok"
    except Exception as exc:  # noqa: BLE001 - a health check reports, it does not raise
        db = f"error: {exc.__class__.__name__}"
    body = {"db": db, "queue": _queue_status() if db == "ok" else "unknown"}
    return JsonResponse(body, status=200 if db == "ok" else 503)
