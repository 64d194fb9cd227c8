"""`Idempotency-Key` on create calls, with Stripe's semantics.

- same key + same body within IDEMPOTENCY_TTL_HOURS -> the first answer again (status and
  body), and nothing new is created or held;
- same key + another body -> 409 `idempotency_conflict`;
- concurrent duplicates -> one creates, the others wait on the unique (tenant, key) row and
  then replay its answer.

The record is inserted in the same transaction as the generation, so either both exist or
neither: a create that fails (no credits, bad input) leaves no record and the caller may fix
the cause and retry with the same key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from accounts.models import Tenant
from generations.api.models import IdempotencyRecord
from seedance_site.errors import DomainError

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


class IdempotencyConflict(DomainError):
    code = "idempotency_conflict"
    http_status = 409

    def __init__(self, key: str):
        super().__init__(
            f"The Idempotency-Key '{key}' was already used with a different request body; use a new key.",
            details={HEADER: "already used with a different request body."},
        )


class InvalidIdempotencyKey(DomainError):
    code = "validation_error"
    http_status = 422

    def __init__(self, problem: str):
        super().__init__(f"Invalid input: {HEADER}.", details={HEADER: problem})


@dataclass(frozen=True)
class Outcome:
    status: int
    content: bytes  # the JSON answer, rendered once and replayed as is
    replayed: bool = False


def clean_key(raw: str | None) -> str | None:
    """The header value, or None when absent. Raises InvalidIdempotencyKey when unusable."""
    if raw is None:
        return None
    key = raw.strip()
    if not key:
        raise InvalidIdempotencyKey("must not be empty.")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidIdempotencyKey(f"must be at most {MAX_KEY_LENGTH} characters.")
    return key


def request_hash(body) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def ttl() -> timedelta:
    return timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS)


def run_once(tenant: Tenant, key: str, body, perform: Callable[[], tuple[int, dict, object]]) -> Outcome:
    """Run `perform` at most once per (tenant, key) and body; see the module docstring.

    `perform()` returns (status, body, generation) and may raise; it runs inside the
    transaction that records the answer.
    """
    digest = request_hash(body)
    replay = _replay(tenant, key, digest)
    if replay is not None:
        return replay
    try:
        with transaction.atomic():
            # A record past its lifetime frees the key for a new request.
            IdempotencyRecord.objects.for_tenant(tenant).filter(
                key=key, created_at__lte=timezone.now() - ttl()
            ).delete()
            # Inserted first: a concurrent duplicate blocks here until this commits or rolls back.
            record = IdempotencyRecord.objects.create(
                tenant=tenant, key=key, request_hash=digest, response_status=0, response_body=""
            )
            status, response_body, generation = perform()
            content = JSONRenderer().render(response_body)
            record.response_status = status
            record.response_body = content.decode()
            record.generation = generation
            record.save(update_fields=["response_status", "response_body", "generation"])
    except IntegrityError:
        # Lost the race to a concurrent duplicate that has committed by now: answer as it did.
        replay = _replay(tenant, key, digest)
        if replay is None:
            raise
        return replay
    return Outcome(status, content)


def _replay(tenant: Tenant, key: str, digest: str) -> Outcome | None:
    record = (
        IdempotencyRecord.objects.for_tenant(tenant)
        .filter(key=key, created_at__gt=timezone.now() - ttl())
        .first()
    )
    if record is None:
        return None
    if record.request_hash != digest:
        raise IdempotencyConflict(key)
    return Outcome(record.response_status, record.response_body.encode(), replayed=True)


def prune() -> int:
    """Delete records past their lifetime; returns how many. Safe to run from a schedule."""
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lte=timezone.now() - ttl()).delete()
    return deleted
