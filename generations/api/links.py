"""Where a tenant downloads a generation's mirrored files.

The one place that builds those URLs, so the results engineer can point them at the
authenticated download endpoint without touching the serializers.
"""

from __future__ import annotations

from django.conf import settings

from generations.models import Generation

# The download endpoint's path for each file; it is served to the owning tenant only.
_PATHS = {
    "video": "/api/v1/generations/{id}/video",
    "last_frame": "/api/v1/generations/{id}/last-frame",
}
_FILES = {"video": "video_file", "last_frame": "last_frame_file"}


def result_url(generation: Generation, kind: str) -> str | None:
    """Absolute URL of our copy of `kind` ("video" or "last_frame"); None until it exists or if hidden."""
    # A result hidden by moderation is not downloadable (generations.results.open_result).
    if not getattr(generation, _FILES[kind]) or generation.hidden_at is not None:
        return None
    return settings.SITE_URL + _PATHS[kind].format(id=generation.id)
