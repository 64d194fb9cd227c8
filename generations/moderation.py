"""The automatic prompt screen run when a generation is created.

Deliberately small: term lists matched case-insensitively anywhere in the prompt. Two sources
apply together: the settings MODERATION_BLOCKED_TERMS / MODERATION_REVIEW_TERMS (deploy-time,
comma-separated) and the active ModerationTerm rows staff edit in admin. Staff review of held
jobs goes through lifecycle.approve()/reject(); `held_for()` tells the review queue why a job
waits (the matched terms, which `highlight()` marks in the prompt, or the team's review-all flag).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

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


def matched_terms(text: str, terms: list[str]) -> list[str]:
    """The terms found in `text` (case-insensitive, anywhere), once each, in the list's order."""
    text = text.casefold()
    found: dict[str, str] = {}
    for term in terms:
        term = term.strip()
        if term and term.casefold() in text:
            found.setdefault(term.casefold(), term)
    return list(found.values())


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
    if matched_terms(spec.prompt, blocked):
        raise PromptBlocked()
    return tenant.review_all or bool(matched_terms(spec.prompt, review))


@dataclass(frozen=True)
class HeldFor:
    """Why a job waits for review, as the lists stand now (staff may have edited them since)."""

    terms: list[str]  # review or blocked terms in the prompt
    review_all: bool  # the team has "review every job" on

    def __str__(self) -> str:
        reasons = []
        if self.terms:
            reasons.append("the prompt contains " + ", ".join(f"“{term}”" for term in self.terms))
        if self.review_all:
            reasons.append("every job of this team is reviewed")
        return "; ".join(reasons).capitalize() if reasons else "No term matches any more (the lists changed)"


def held_for(generation) -> HeldFor:
    blocked, review = terms()
    return HeldFor(matched_terms(generation.prompt, review + blocked), generation.tenant.review_all)


def highlight(text: str, found: list[str]) -> SafeString:
    """`text`, escaped, with each occurrence of the `found` terms in <mark>."""
    if not found:
        return escape(text)
    # Longest first, so "red sky" wins over "red" where both match.
    pattern = re.compile("|".join(re.escape(t) for t in sorted(found, key=len, reverse=True)), re.IGNORECASE)
    pieces, last = [], 0
    for match in pattern.finditer(text):
        pieces += [escape(text[last : match.start()]), f'<mark class="term">{escape(match.group())}</mark>']
        last = match.end()
    pieces.append(escape(text[last:]))
    return mark_safe("".join(pieces))  # every piece of the text is escaped above
