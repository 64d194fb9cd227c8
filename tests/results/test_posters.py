"""Poster frames: a still of our copy of the video, made after the job succeeded, stored next to
the video (filesystem and S3), served to the owning team only; a video we cannot decode leaves
no poster and the job succeeds all the same."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import httpx
import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.test import Client
from PIL import Image
from rest_framework.test import APIClient

from generations import followups, posters
from generations.models import Generation, GenerationChange
from tests.factories import make_api_key, make_generation
from tests.webhooks.helpers import provide, running_generation

pytestmark = pytest.mark.django_db

VIDEO_URL = "https://cdn.provider.example/v/video.mp4"
FRAME_URL = "https://cdn.provider.example/v/frame.png"
SAMPLE_DIR = Path(__file__).resolve().parents[2] / "static" / "sandbox"
SAMPLE = (SAMPLE_DIR / "sample.mp4").read_bytes()
# An MP4's header followed by nothing a decoder can use: our copy accepts it (the magic bytes
# agree), the poster step cannot decode it.
BROKEN = SAMPLE[:32] + b"\0" * 4000


def finished_by_provider(tenant, video: bytes, respx_mock, last_frame: bytes | None = None):
    """A job whose provider finished with `video`, copied by the outbox worker as in production."""
    respx_mock.get(VIDEO_URL).mock(
        return_value=httpx.Response(200, headers={"Content-Type": "video/mp4"}, content=video)
    )
    if last_frame is not None:
        respx_mock.get(FRAME_URL).mock(
            return_value=httpx.Response(200, headers={"Content-Type": "image/png"}, content=last_frame)
        )
    generation = running_generation(tenant)
    provide(generation, "succeeded", video_url=VIDEO_URL, last_frame_url=FRAME_URL if last_frame else "")
    change = GenerationChange.objects.get(generation_id=generation.pk, to_stage="finishing")
    assert followups.process_change(change.pk) == "mirrored"
    return Generation.objects.get(pk=generation.pk)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def fetch(response) -> bytes:
    """The bytes a browser gets from a download answer (a file, or a presigned redirect)."""
    if response.status_code == 302:
        answer = httpx.get(response["Location"])
        assert answer.status_code == 200
        return answer.content
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def assert_is_poster_of_sample(data: bytes):
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    assert image.size == (160, 90)  # the sample video's frame size
    # Not a blank frame: the sample's picture has more than one colour.
    low, high = image.convert("L").getextrema()
    assert high - low > 20


def test_a_video_without_a_provider_image_gets_a_poster_from_our_copy(
    tenant, alice, charlie, other_tenant, queued, respx_mock, dns
):
    generation = finished_by_provider(tenant, SAMPLE, respx_mock)

    assert generation.status == "succeeded"
    assert generation.poster_file.name.endswith(f"{generation.pk}-poster.jpg")
    assert Path(generation.poster_file.path).parent == Path(generation.video_file.path).parent
    response = logged_in(alice).get(f"/results/{generation.pk}/poster")
    assert response["Content-Type"] == "image/jpeg"
    assert_is_poster_of_sample(fetch(response))
    # Another team's member, and someone logged out, never see it.
    assert logged_in(charlie).get(f"/results/{generation.pk}/poster").status_code == 404
    assert Client().get(f"/results/{generation.pk}/poster").status_code in (302, 403)


def test_on_s3_the_poster_is_stored_next_to_the_video_and_served_by_a_presigned_url(
    tenant, alice, charlie, other_tenant, queued, respx_mock, dns, s3_storage, s3_server, monkeypatch
):
    respx_mock.route(host="127.0.0.1").pass_through()  # moto's server on loopback
    # The video is read in ranges as the decoder asks: small ones here, so it takes several.
    monkeypatch.setattr(posters.RangedObject, "READ_BLOCK", 4096)
    generation = finished_by_provider(tenant, SAMPLE, respx_mock)

    keys = [o["Key"] for o in s3_server.client().list_objects_v2(Bucket=s3_storage)["Contents"]]
    assert sorted(Path(key).name for key in keys) == [f"{generation.pk}-poster.jpg", f"{generation.pk}.mp4"]
    assert len({str(Path(key).parent) for key in keys}) == 1  # the same folder as the video
    response = logged_in(alice).get(f"/results/{generation.pk}/poster")
    assert response.status_code == 302
    assert_is_poster_of_sample(fetch(response))
    assert logged_in(charlie).get(f"/results/{generation.pk}/poster").status_code == 404


def test_a_video_we_cannot_decode_leaves_no_poster_and_the_job_still_succeeds(
    tenant, alice, queued, respx_mock, dns, caplog
):
    with caplog.at_level(logging.WARNING, logger="generations.posters"):
        generation = finished_by_provider(tenant, BROKEN, respx_mock)

    assert (generation.status, generation.mirror_state) == ("succeeded", "copied")
    assert generation.video_file and not generation.poster_file
    assert f"poster for {generation.pk} not made" in caplog.text
    assert logged_in(alice).get(f"/results/{generation.pk}/poster").status_code == 404
    # The video itself is served as usual.
    assert logged_in(alice).get(f"/results/{generation.pk}/video").status_code == 200


def test_the_providers_own_image_is_the_poster_when_it_gives_one(tenant, alice, queued, respx_mock, dns):
    frame = (SAMPLE_DIR / "last-frame.png").read_bytes()
    generation = finished_by_provider(tenant, SAMPLE, respx_mock, last_frame=frame)

    assert generation.last_frame_file and not generation.poster_file  # nothing decoded
    response = logged_in(alice).get(f"/results/{generation.pk}/poster")
    assert response["Content-Type"] == "image/png"
    assert fetch(response) == frame


def test_posters_are_kept_by_the_browser_a_while_and_not_counted_as_downloads(
    tenant, alice, queued, respx_mock, dns, settings
):
    generation = finished_by_provider(tenant, SAMPLE, respx_mock)
    settings.DOWNLOAD_THROTTLE_TENANT = "1/min"
    member = logged_in(alice)
    for _ in range(3):  # a gallery page shows many
        poster = member.get(f"/results/{generation.pk}/poster")
        assert poster.status_code == 200 and poster["Cache-Control"] == "private, max-age=300"
    assert member.get(f"/results/{generation.pk}/video").status_code == 200
    assert member.get(f"/results/{generation.pk}/video").status_code == 429


def test_make_posters_fills_in_the_jobs_copied_before_posters_existed(tenant, settings):
    old = make_generation(tenant, status="succeeded", provider="kie")
    old.video_file.save(f"{old.pk}.mp4", ContentFile(SAMPLE))
    broken = make_generation(tenant, status="succeeded", provider="kie")
    broken.video_file.save(f"{broken.pk}.mp4", ContentFile(BROKEN))
    out = io.StringIO()
    call_command("make_posters", stdout=out)

    assert out.getvalue().strip() == "1 poster(s) made, 1 could not be made."
    old.refresh_from_db()
    assert_is_poster_of_sample(old.poster_file.read())


def test_the_api_links_the_poster_once_the_job_succeeded_for_the_key_s_team_only(
    tenant, other_tenant, queued, respx_mock, dns, settings
):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {make_api_key(tenant)[1]}")
    running = running_generation(tenant)
    assert api.get(f"/api/v1/generations/{running.pk}").json()["poster_url"] is None

    generation = finished_by_provider(tenant, SAMPLE, respx_mock)
    body = api.get(f"/api/v1/generations/{generation.pk}").json()
    assert body["poster_url"] == f"{settings.SITE_URL}/api/v1/generations/{generation.pk}/poster"
    settings.DOWNLOAD_THROTTLE_TENANT = "1/min"  # a client's gallery: not counted as downloads
    for _ in range(3):
        poster = api.get(body["poster_url"].removeprefix(settings.SITE_URL))
        assert poster.status_code == 200 and poster["Cache-Control"] == "private, max-age=300"
    assert_is_poster_of_sample(fetch(poster))

    stranger = APIClient()
    stranger.credentials(HTTP_AUTHORIZATION=f"Bearer {make_api_key(other_tenant)[1]}")
    assert stranger.get(f"/api/v1/generations/{generation.pk}/poster").status_code == 404
