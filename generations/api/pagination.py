from __future__ import annotations

from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination


class NewestFirstPagination(CursorPagination):
    """Opaque `cursor` links, newest first; stable while new rows arrive (unlike page numbers)."""

    ordering = ("-created_at", "-id")
    page_size = 20
    page_size_query_param = "limit"
    max_page_size = 100

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound:
            # DRF answers 404 for a damaged cursor; it is bad input, and named as such.
            raise serializers.ValidationError(
                {"cursor": "Invalid cursor: use a `next` or `previous` link as given."}
            ) from None


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
