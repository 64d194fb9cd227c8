"""The automatic prompt screen run when a generation is created.

Deliberately small: term lists from settings, matched case-insensitively. Staff review of
held jobs goes through services.approve()/reject().
"""

from __future__ import annotations

from django.conf import settings

from accounts.models import Tenant
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


def screen(tenant: Tenant, spec: GenerationSpec) -> bool:
    """True when the job must wait for staff review. Raises PromptBlocked for a blocked term."""
    if _matches(spec.prompt, settings.MODERATION_BLOCKED_TERMS):
        raise PromptBlocked()
    return tenant.review_all or _matches(spec.prompt, settings.MODERATION_REVIEW_TERMS)
