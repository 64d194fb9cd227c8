"""/healthz: liveness. This process answers HTTP; nothing else is checked, so a database or
Redis outage never makes a supervisor restart healthy web processes. Whether the deployment can
do its work is /readyz (ops.readiness)."""

from __future__ import annotations

from django.http import JsonResponse
from django.views.decorators.http import require_GET


@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})
