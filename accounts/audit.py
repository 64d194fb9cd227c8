"""The audit log: who did what to which tenant's money, keys, members or moderation, and from where.

Everyone writes through `record()`, inside the transaction of the change it describes, so an
action that rolls back leaves no audit row and a committed action always has one.

Action names are dotted `<thing>.<verb>`; the ones below are in use. A surface adding a new one
should add a label to ACTION_LABELS so the portal shows words instead of the code.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from accounts.models import ApiKey, AuditEvent, Tenant

ACTION_LABELS = {
    # Tenant side (portal and API).
    "api_key.create": "API key created",
    "api_key.revoke": "API key revoked",
    "member.invite": "Member invited",
    "member.invite_cancel": "Invitation cancelled",
    "member.role_change": "Member role changed",
    "member.remove": "Member removed",
    "member.join": "Invitation accepted",
    "team.rename": "Team renamed",
    "team.security": "Two-factor rule for owners changed",
    "team.low_balance": "Low-balance warning changed",
    "webhook.secret_rotate": "Webhook secret rotated",
    "webhook.test": "Test event sent",
    # Money.
    "credits.grant": "Credits granted",
    "credits.adjust": "Credits adjusted",
    "payment.checkout": "Checkout for credits started",
    "payment.card_setup": "Saving a card started",
    "payment.card_saved": "Card saved for automatic recharge",
    "payment.auto_recharge": "Automatic recharge changed",
    "payment.auto_recharge_off": "Automatic recharge turned off after a failed charge",
    "payment.buyers": "Who may buy credits changed",
    "payment.refund": "Payment refunded by staff (through Stripe)",
    "credit_pack.add": "Credit pack added",
    "credit_pack.change": "Credit pack changed",
    # Staff: tenant controls.
    "tenant.suspend": "Team suspended",
    "tenant.unsuspend": "Team suspension lifted",
    "tenant.review_on": "Review of every job required",
    "tenant.review_off": "Review of every job no longer required",
    "tenant.in_flight_cap": "In-flight limit changed",
    # Staff: generations.
    "generation.cancel": "Generation cancelled and refunded by staff",
    "generation.refund": "Generation refunded by staff",
    "generation.repoll": "Provider re-polled by staff",
    "generation.retry": "Submission retried by staff",
    "generation.hide": "Result removed by moderation",
    "generation.flag": "Generation flagged",
    "generation.unflag": "Generation unflagged",
    "generation.approve": "Generation approved by moderation",
    "generation.reject": "Generation rejected by moderation",
    # Staff: term lists.
    "moderation_term.add": "Moderation term added",
    "moderation_term.change": "Moderation term changed",
    "moderation_term.delete": "Moderation term deleted",
}


def record(
    actor,
    action: str,
    *,
    tenant: Tenant | None = None,
    target: models.Model | None = None,
    before: dict | None = None,
    after: dict | None = None,
    request=None,
    note: str = "",
    request_key: str | None = None,
) -> AuditEvent:
    """Write one audit event and return it.

    `actor`: the User who acted, an ApiKey (API-side actions), or None (the system).
    `tenant`: defaults to the target's tenant (or the target itself when it is a Tenant).
    `before`/`after`: small JSON summaries of what changed (dates and Decimals are converted).
    `request`: gives the client IP. `request_key`: unique; a second event with the same key
    raises IntegrityError, which callers use to apply a submitted form exactly once.
    """
    user, label = _actor(actor)
    if tenant is None and target is not None:
        tenant = target if isinstance(target, Tenant) else getattr(target, "tenant", None)
    return AuditEvent.objects.create(
        actor=user,
        actor_email=label,
        tenant=tenant,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        before=_json_safe(before),
        after=_json_safe(after),
        note=note,
        ip=client_ip(request) if request is not None else None,
        request_key=request_key,
    )


def label_for(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def client_ip(request) -> str | None:
    """The client's address. X-Forwarded-For counts only behind TRUSTED_PROXY_COUNT proxies.

    Each proxy appends the address it saw, so with N trusted proxies the client is the N-th
    entry from the right; anything left of it was written by the client and may be forged.
    """
    meta = getattr(request, "META", {})
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies:
        hops = [h.strip() for h in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return meta.get("REMOTE_ADDR") or None


def _actor(actor) -> tuple[Any, str]:
    if actor is None or not getattr(actor, "is_authenticated", True):
        return None, ""
    if isinstance(actor, ApiKey):
        return None, f"API key {actor.name} ({actor.display})"
    return actor, getattr(actor, "email", "") or str(actor)


def _json_safe(value: dict | None) -> dict | None:
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


# Staff are named as a role, not by email: customers learn that support acted, not who.
STAFF_LABEL = "Seedance support"


def shown_actor(actor_id: int | None, email: str, member_ids: set[int]) -> str:
    """Who did it, as a tenant may see it: their own members by email, anyone else as support."""
    if actor_id is not None and actor_id in member_ids:
        return email
    return STAFF_LABEL if email else ""
