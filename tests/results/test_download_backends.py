"""Downloads never stream through a web worker in production: a presigned redirect on S3 (the
loopback S3 server), X-Accel-Redirect on the filesystem behind nginx; each with its own limit."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.core.files.base import ContentFile

from tests.factories import make_generation

pytestmark = pytest.mark.django_db

VIDEO = b"\x00\x00\x00\x18ftypmp42" + b"\1" * 1000


def mirrored_video(tenant):
    generation = make_generation(tenant, status="succeeded", video_url="https://cdn.provider.example/v.mp4")
    generation.video_file.save(f"{generation.pk}.mp4", ContentFile(VIDEO))
    return generation


def test_on_s3_the_tenant_is_redirected_to_a_short_lived_presigned_url(
    api_client, tenant, s3_storage, settings
):
    settings.AWS_QUERYSTRING_EXPIRE = 120
    generation = mirrored_video(tenant)
    response = api_client.get(f"/api/v1/generations/{generation.pk}/video?download=1")
    assert response.status_code == 302
    assert "no-store" in response["Cache-Control"]
    location = response["Location"]
    assert location.startswith(settings.AWS_S3_ENDPOINT_URL + f"/{s3_storage}/")
    query = parse_qs(urlsplit(location).query)
    assert query["X-Amz-Expires"] == ["120"]
    assert query["response-content-disposition"][0].startswith("attachment")
    download = httpx.get(location)
    assert download.status_code == 200
    assert download.content == VIDEO
    assert download.headers["content-type"] == "video/mp4"
    # The URL is signed: without the signature the bucket refuses.
    assert httpx.get(location.split("?")[0]).status_code == 403


def test_on_s3_another_tenant_still_gets_404(other_api_client, tenant, s3_storage):
    generation = mirrored_video(tenant)
    assert other_api_client.get(f"/api/v1/generations/{generation.pk}/video").status_code == 404


def test_the_portal_redirects_members_too(client, alice, tenant, s3_storage):
    generation = mirrored_video(tenant)
    client.force_login(alice)
    response = client.get(f"/results/{generation.pk}/video")
    assert response.status_code == 302
    assert httpx.get(response["Location"]).content == VIDEO


def test_on_the_filesystem_behind_nginx_the_file_is_handed_over(api_client, tenant, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.RESULT_ACCEL_REDIRECT_PREFIX = "/protected-media/"
    generation = mirrored_video(tenant)
    response = api_client.get(f"/api/v1/generations/{generation.pk}/video")
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/protected-media/{generation.video_file.name}"
    assert response["Content-Type"] == "video/mp4"
    assert response.content == b""  # nginx sends the bytes


def test_downloads_have_their_own_limit(api_client, tenant, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.DOWNLOAD_THROTTLE_TENANT = "1/min"
    settings.API_THROTTLE_KEY = "100/min"
    generation = mirrored_video(tenant)
    assert api_client.get(f"/api/v1/generations/{generation.pk}/video").status_code == 200
    refused = api_client.get(f"/api/v1/generations/{generation.pk}/video")
    assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 60
    assert api_client.get(f"/api/v1/generations/{generation.pk}").status_code == 200  # the API is not slowed


def test_api_requests_do_not_use_up_downloads(api_client, tenant, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.API_THROTTLE_KEY = "1/min"
    generation = mirrored_video(tenant)
    assert api_client.get(f"/api/v1/generations/{generation.pk}").status_code == 200
    assert api_client.get(f"/api/v1/generations/{generation.pk}").status_code == 429
    assert api_client.get(f"/api/v1/generations/{generation.pk}/video").status_code == 200
