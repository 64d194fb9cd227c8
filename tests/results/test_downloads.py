"""Our copy is served to the owning tenant only: API (bearer key) and portal (session)."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from generations.models import Generation
from tests.factories import PASSWORD, make_generation

pytestmark = pytest.mark.django_db

VIDEO = b"\x00\x00\x00\x18ftypmp42" + b"\1" * 100


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def mirrored(tenant):
    generation = make_generation(tenant, status="succeeded", video_url="https://cdn.provider.example/v.mp4")
    generation.video_file.save(f"{generation.pk}.mp4", ContentFile(VIDEO))
    generation.last_frame_file.save(f"{generation.pk}-last-frame.png", ContentFile(b"\x89PNG\r\n\x1a\n"))
    return generation


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_the_tenant_downloads_its_video_through_the_api(api_client, mirrored):
    response = api_client.get(f"/api/v1/generations/{mirrored.pk}/video")
    assert response.status_code == 200
    assert response["Content-Type"] == "video/mp4"
    assert body(response) == VIDEO

    frame = api_client.get(f"/api/v1/generations/{mirrored.pk}/last-frame?download=1")
    assert frame["Content-Type"] == "image/png"
    assert frame["Content-Disposition"].startswith("attachment")


def test_the_generation_json_points_at_our_copy_not_the_provider(api_client, mirrored, settings):
    data = api_client.get(f"/api/v1/generations/{mirrored.pk}").json()
    assert data["video_url"] == f"{settings.SITE_URL}/api/v1/generations/{mirrored.pk}/video"
    assert "cdn.provider.example" not in str(data)


def test_another_tenant_gets_404(other_api_client, mirrored):
    for path in ("video", "last-frame"):
        response = other_api_client.get(f"/api/v1/generations/{mirrored.pk}/{path}")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_no_key_gets_401(client, mirrored):
    assert client.get(f"/api/v1/generations/{mirrored.pk}/video").status_code == 401


def test_a_hidden_result_is_not_downloadable(api_client, mirrored):
    Generation.objects.filter(pk=mirrored.pk).update(hidden_at=timezone.now())
    response = api_client.get(f"/api/v1/generations/{mirrored.pk}/video")
    assert response.status_code == 404
    assert "hidden" in response.json()["error"]["message"]
    assert api_client.get(f"/api/v1/generations/{mirrored.pk}").json()["video_url"] is None


def test_a_result_still_being_copied_is_a_409(api_client, tenant):
    generation = make_generation(
        tenant, status="running", mirror_state="copying", video_url="https://cdn.provider.example/v.mp4"
    )
    response = api_client.get(f"/api/v1/generations/{generation.pk}/video")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "result_not_ready"


def test_a_result_that_could_not_be_copied_is_a_404(api_client, tenant):
    generation = make_generation(
        tenant, status="failed", mirror_state="failed", video_url="https://cdn.provider.example/v.mp4"
    )
    response = api_client.get(f"/api/v1/generations/{generation.pk}/video")
    assert response.status_code == 404
    assert "status: failed" in response.json()["error"]["message"]


def test_a_failed_generation_has_no_video(api_client, tenant):
    generation = make_generation(tenant, status="failed")
    response = api_client.get(f"/api/v1/generations/{generation.pk}/video")
    assert response.status_code == 404
    assert "status: failed" in response.json()["error"]["message"]


def test_members_download_in_the_portal(client, mirrored, vera):
    client.login(email=vera.email, password=PASSWORD)  # even a viewer may see results
    response = client.get(f"/results/{mirrored.pk}/video")
    assert response.status_code == 200
    assert body(response) == VIDEO


def test_other_teams_members_get_404_in_the_portal(client, mirrored, charlie, other_tenant):
    client.login(email=charlie.email, password=PASSWORD)
    assert client.get(f"/results/{mirrored.pk}/video").status_code == 404


def test_anonymous_portal_visitors_are_sent_to_log_in(client, mirrored):
    response = client.get(f"/results/{mirrored.pk}/video")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
