"""The portal's generations CSV (linked from the billing page): every generation of the team."""

from __future__ import annotations

from accounts.decorators import tenant_required
from generations.models import Generation
from seedance_site.csv_export import csv_response, spreadsheet_text, stamp

COLUMNS = [
    "id",
    "created_at",
    "status",
    "provider",
    "prompt",
    "aspect_ratio",
    "resolution",
    "duration",
    "generate_audio",
    "quoted",
    "charged",
    "finished_at",
]


@tenant_required("view")  # every role may read the bill, like the billing page
def generations_csv(request):
    # values_list + iterator: 100 000 rows stream in chunks without building model instances.
    values = (
        Generation.objects.for_tenant(request.tenant)
        .order_by("-created_at", "-id")
        .values_list(*COLUMNS)
        .iterator(chunk_size=2000)
    )
    prompt = COLUMNS.index("prompt")
    rows = (row[:prompt] + (spreadsheet_text(row[prompt]),) + row[prompt + 1 :] for row in values)
    return csv_response(f"generations-{request.tenant.slug}-{stamp()}.csv", COLUMNS, rows)
