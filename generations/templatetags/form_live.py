"""The New generation form's per-field parts: `{{ reasons|item:name }}` looks a field up."""

from django import template

register = template.Library()


@register.filter
def item(mapping, key):
    return mapping.get(key) if mapping else None
