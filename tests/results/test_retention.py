"""Mirrored files are deleted after the tenant's retention period."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from generations.results import purge_expired_results
from tests.factories import make_generation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def mirrored(tenant, days_ago: int):
    generation = make_generation(
        tenant,
        status="succeeded",
        video_url="https://cdn.provider.example/v.mp4",
        finished_at=timezone.now() - timedelta(days=days_ago),
    )
    generation.video_file.save(f"{generation.pk}.mp4", ContentFile(b"video"))
    return generation


def test_old_files_are_deleted_and_recent_ones_kept(tenant, other_tenant, api_client, settings):
    tenant.retention_days = 30
    tenant.save()
    old, recent = mirrored(tenant, 31), mirrored(tenant, 29)
    kept_forever = mirrored(other_tenant, 400)  # no retention set: kept
    old_path = Path(old.video_file.path)

    assert purge_expired_results() == "deleted 1 file(s)"

    old.refresh_from_db()
    recent.refresh_from_db()
    kept_forever.refresh_from_db()
    assert not old.video_file and not old_path.exists()
    assert recent.video_file and kept_forever.video_file
    response = api_client.get(f"/api/v1/generations/{old.pk}/video")
    assert response.status_code == 404
    assert "retention" in response.json()["error"]["message"]
    assert purge_expired_results() == "deleted 0 file(s)"
