"""Where a tenant downloads a generation's copied files.

The one place that builds those URLs (API, Kie-compatible API, webhook bodies). A URL is given
only for a `succeeded` generation whose file we hold, so `succeeded` always comes with a
`video_url` that downloads the video (docs/api.md, "Results").
"""

from __future__ import annotations

from django.conf import settings

from generations.models import Generation, Status
from generations.results import served_file

# The download endpoint's path for each file; it is served to the owning tenant only.
_PATHS = {
    "video": "/api/v1/generations/{id}/video",
    "last_frame": "/api/v1/generations/{id}/last-frame",
    "poster": "/api/v1/generations/{id}/poster",
}


def result_url(generation: Generation, kind: str) -> str | None:
    """Absolute URL of our copy of `kind` ("video", "last_frame" or "poster"); None unless the generation
    succeeded and the file is there (not hidden by moderation, not deleted after retention)."""
    # A result hidden by moderation is not downloadable (generations.results.open_result).
    if (
        generation.status != Status.SUCCEEDED
        or not served_file(generation, kind)
        or generation.hidden_at is not None
    ):
        return None
    return settings.SITE_URL + _PATHS[kind].format(id=generation.id)
