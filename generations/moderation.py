"""The automatic prompt screen run when a generation is created.

Deliberately small: term lists matched case-insensitively anywhere in the prompt. Two sources
apply together: the settings MODERATION_BLOCKED_TERMS / MODERATION_REVIEW_TERMS (deploy-time,
comma-separated) and the active ModerationTerm rows staff edit in admin. Staff review of held
jobs goes through services.approve()/reject().
"""

from __future__ import annotations

from django.conf import settings

from accounts.models import ModerationTerm, Tenant
from generations.spec import GenerationSpec
from seedance_site.errors import DomainError


class PromptBlocked(DomainError):
    code = "prompt_blocked"
    http_status = 422

    def __init__(self):
        # The matched term is not echoed back: that would teach how to get around the list.
        super().__init__(
            "prompt: this prompt is not allowed by the content policy.",
            details={"prompt": "not allowed by the content policy."},
        )


def _matches(text: str, terms: list[str]) -> bool:
    text = text.casefold()
    return any(term.strip() and term.strip().casefold() in text for term in terms)


def terms() -> tuple[list[str], list[str]]:
    """(blocked, review) terms: the settings' lists plus the active rows from admin."""
    blocked = list(settings.MODERATION_BLOCKED_TERMS)
    review = list(settings.MODERATION_REVIEW_TERMS)
    # One small query per create; read fresh so a term staff add applies to the next request.
    for term, kind in ModerationTerm.objects.filter(active=True).values_list("term", "kind"):
        (blocked if kind == ModerationTerm.Kind.BLOCK else review).append(term)
    return blocked, review


def screen(tenant: Tenant, spec: GenerationSpec) -> bool:
    """True when the job must wait for staff review. Raises PromptBlocked for a blocked term."""
    blocked, review = terms()
    if _matches(spec.prompt, blocked):
        raise PromptBlocked()
    return tenant.review_all or _matches(spec.prompt, review)
