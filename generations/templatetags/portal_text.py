"""Template filters for the portal's wording: times without "0 minutes", states and errors in words."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

from generations import texts

register = template.Library()


@register.filter
def ago(value: datetime | None) -> str:
    """ "just now" under a minute, then "5 minutes ago", "3 hours ago", "2 days ago"."""
    if not value:
        return ""
    if timezone.now() - value < timedelta(minutes=1):
        return "just now"
    return f"{timesince(value, depth=1)} ago"


@register.filter
def seconds(value) -> str:
    return texts.seconds_text(value)


@register.filter
def state_text(generation) -> str:
    return texts.state_text(generation)


@register.filter
def error_text(generation) -> str:
    return texts.error_text(generation)
