"""The automatic prompt screen run when a generation is created.

Deliberately small: term lists matched case-insensitively anywhere in the prompt. Two sources
apply together: the settings MODERATION_BLOCKED_TERMS / MODERATION_REVIEW_TERMS (deploy-time,
comma-separated) and the active ModerationTerm rows staff edit in admin. Staff review of held
jobs goes through lifecycle.approve()/reject().
"""

from __future__ import annotations

from django.conf import settings

from accounts.models import ModerationTerm, Tenant
from generations.spec import GenerationSpec
from seedance_site.errors import DomainError
from seedance_site.table_cache import TableCache


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


# The admin's active terms, re-read at most every 30 s (at once in the process that edits them).
_admin_terms = TableCache(
    ModerationTerm, lambda: list(ModerationTerm.objects.filter(active=True).values_list("term", "kind"))
)


def terms() -> tuple[list[str], list[str]]:
    """(blocked, review) terms: the settings' lists plus the active rows from admin."""
    blocked = list(settings.MODERATION_BLOCKED_TERMS)
    review = list(settings.MODERATION_REVIEW_TERMS)
    for term, kind in _admin_terms.get():
        (blocked if kind == ModerationTerm.Kind.BLOCK else review).append(term)
    return blocked, review


def screen(tenant: Tenant, spec: GenerationSpec) -> bool:
    """True when the job must wait for staff review. Raises PromptBlocked for a blocked term."""
    blocked, review = terms()
    if _matches(spec.prompt, blocked):
        raise PromptBlocked()
    return tenant.review_all or _matches(spec.prompt, review)
