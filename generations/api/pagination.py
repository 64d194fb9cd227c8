from __future__ import annotations

from django.utils.dateparse import parse_datetime
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination

from seedance_site.errors import DomainError


class InvalidCursor(DomainError):
    code = "invalid_cursor"
    http_status = 404

    def __init__(self):
        message = "No such page: use a `next` or `previous` link as given."
        super().__init__(message, details={"cursor": message})


class NewestFirstPagination(CursorPagination):
    """Opaque `cursor` links, newest first; stable while new rows arrive (unlike page numbers)."""

    ordering = ("-created_at", "-id")
    page_size = 20
    page_size_query_param = "limit"
    max_page_size = 100

    def decode_cursor(self, request):
        """A cursor names a page; one that names none (damaged or forged) is a 404 naming it.

        Any string is a well-formed cursor (the schema cannot say more), so a bad one is "no
        such page" rather than invalid input. The position is checked here too: DRF would pass
        a forged one to the database as a timestamp.
        """
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise InvalidCursor() from None
        if cursor is not None and cursor.position is not None:
            try:
                position = parse_datetime(cursor.position)
            except ValueError:  # well formed, but no such day or time
                position = None
            if position is None:
                raise InvalidCursor()
        return cursor


class PageSerializer(serializers.Serializer):
    """The paging query parameters of every list; checked so a bad value is a 422 naming it."""

    cursor = serializers.CharField(required=False, help_text="From the `next` or `previous` link.")
    limit = serializers.IntegerField(
        min_value=1,
        max_value=NewestFirstPagination.max_page_size,
        required=False,
        help_text="Page size (20).",
    )

    def to_internal_value(self, data):
        # A query string may repeat keys; each parameter takes one value.
        return super().to_internal_value({key: data.get(key) for key in self.fields if key in data})
