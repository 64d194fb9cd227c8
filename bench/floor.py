"""The floor: the least work a "create" can do on this stack, to measure the real one against.

POST /bench/floor authenticates the bearer key exactly as the API does (ApiKey.authenticate),
then, in one transaction, INSERTs a row and runs one conditional UPDATE on the tenant's single
account row (`held = held + 1 WHERE balance - held >= 1`), which is the contention a real hold
has. No DRF, no serializers, no ORM model: raw SQL on two bench-only tables, which
`create_floor_tables()` makes. Mounted only by bench/urls.py.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from accounts.models import ApiKey

TABLES = (
    (
        "CREATE TABLE IF NOT EXISTS bench_floor_row (id bigserial PRIMARY KEY, tenant_id bigint NOT NULL,"
        " body text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"
    ),
    (
        "CREATE TABLE IF NOT EXISTS bench_floor_account"
        " (tenant_id bigint PRIMARY KEY, balance bigint NOT NULL, held bigint NOT NULL)"
    ),
)


def create_floor_tables(tenant_id: int, balance: int) -> None:
    with connection.cursor() as cursor:
        for statement in TABLES:
            cursor.execute(statement)
        cursor.execute(
            "INSERT INTO bench_floor_account (tenant_id, balance, held) VALUES (%s, %s, 0)"
            " ON CONFLICT (tenant_id) DO UPDATE SET balance = EXCLUDED.balance, held = 0",
            [tenant_id, balance],
        )


@csrf_exempt
def floor(request):
    scheme, _, secret = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    api_key = ApiKey.authenticate(secret.strip()) if scheme.lower() == "bearer" else None
    if api_key is None:
        return JsonResponse({"error": "invalid_api_key"}, status=401)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_floor_row (tenant_id, body) VALUES (%s, %s) RETURNING id",
            [api_key.tenant_id, request.body.decode("utf-8", "replace")],
        )
        row_id = cursor.fetchone()[0]
        cursor.execute(
            "UPDATE bench_floor_account SET held = held + 1 WHERE tenant_id = %s AND balance - held >= 1",
            [api_key.tenant_id],
        )
        if cursor.rowcount != 1:
            transaction.set_rollback(True)
            return JsonResponse({"error": "insufficient_credits"}, status=402)
    return JsonResponse({"id": row_id}, status=201, json_dumps_params={"separators": (",", ":")})
