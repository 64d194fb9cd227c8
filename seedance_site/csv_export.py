"""Streaming CSV downloads for the portal (ledger and generations exports)."""

from __future__ import annotations

import csv

from django.http import StreamingHttpResponse
from django.utils import timezone


class _Echo:
    """csv.writer target that hands each row back instead of buffering the whole file."""

    def write(self, value):
        return value


def csv_response(filename: str, header: list[str], rows) -> StreamingHttpResponse:
    """A CSV download of `header` then `rows`, streamed row by row."""
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def spreadsheet_text(value: str) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas; a quote keeps them text."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@") else value


def stamp() -> str:
    """Today's date for a download's file name."""
    return timezone.now().strftime("%Y%m%d")
