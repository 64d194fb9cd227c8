"""Copying provider results into our storage: streamed, checked, retried; the job succeeds only
once the video is copied, and fails (charging nothing) when it never can be."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import httpx
import pytest

from generations import results
from generations.models import Generation, GenerationEvent
from tests.webhooks.helpers import finish, provide, running_generation

pytestmark = pytest.mark.django_db

VIDEO_URL = "https://cdn.provider.example/v/video.mp4"
FRAME_URL = "https://cdn.provider.example/v/frame.png"
SAMPLE_DIR = Path(__file__).resolve().parents[2] / "static" / "sandbox"
MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
PNG_HEAD = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def finishing(tenant, queued):
    """A job the provider finished: running at our end until the video is copied."""
    generation = running_generation(tenant)
    provide(generation, "succeeded", video_url=VIDEO_URL, last_frame_url=FRAME_URL)
    return Generation.objects.get(pk=generation.pk)


def notes(generation):
    return list(
        GenerationEvent.objects.filter(generation=generation, kind="note").values_list("message", flat=True)
    )


def reload(generation):
    return Generation.objects.get(pk=generation.pk)


def test_the_video_and_last_frame_are_copied_then_the_job_succeeds(finishing, respx_mock, dns):
    video = (SAMPLE_DIR / "sample.mp4").read_bytes()
    frame = (SAMPLE_DIR / "last-frame.png").read_bytes()
    respx_mock.get(VIDEO_URL).mock(
        return_value=httpx.Response(200, headers={"Content-Type": "video/mp4"}, content=video)
    )
    respx_mock.get(FRAME_URL).mock(
        return_value=httpx.Response(200, headers={"Content-Type": "image/png"}, content=frame)
    )

    assert results.mirror(finishing.pk) is None

    generation = reload(finishing)
    assert (generation.status, generation.mirror_state) == ("succeeded", "copied")
    assert generation.video_file.name.endswith(f"{generation.pk}.mp4")
    assert generation.video_file.read() == video
    assert generation.last_frame_file.name.endswith(f"{generation.pk}-last-frame.png")
    assert generation.last_frame_file.read() == frame
    assert "The video was copied to our storage." in notes(generation)
    # A second run (a duplicate task) downloads nothing.
    assert results.mirror(finishing.pk) is None
    assert len(respx_mock.calls) == 2


def test_a_large_video_is_streamed_to_disk_with_bounded_memory(finishing, respx_mock, dns, settings):
    size = 50 * 1024 * 1024
    settings.RESULT_MAX_BYTES = size
    chunk = b"\0" * (256 * 1024)

    def body():
        yield MP4_HEAD + chunk[len(MP4_HEAD) :]
        for _ in range(size // len(chunk) - 1):
            yield chunk

    respx_mock.get(VIDEO_URL).mock(
        side_effect=lambda request: httpx.Response(200, headers={"Content-Type": "video/mp4"}, content=body())
    )
    respx_mock.get(FRAME_URL).mock(return_value=httpx.Response(404))

    tracemalloc.start()
    try:
        results.mirror(finishing.pk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    generation = reload(finishing)
    assert generation.status == "succeeded"
    assert generation.video_file.size == size
    assert not generation.last_frame_file  # best effort: a missing frame never holds the video back
    assert peak < 5 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB: the body was held in memory"


@pytest.mark.parametrize(
    ("content_type", "body"),
    [("text/html", b"<html>not a video</html>"), ("video/mp4", b"<html>not a video</html>")],
)
def test_a_wrong_content_type_or_content_fails_the_job_and_charges_nothing(
    finishing, respx_mock, dns, content_type, body
):
    respx_mock.get(VIDEO_URL).mock(
        return_value=httpx.Response(200, headers={"Content-Type": content_type}, content=body)
    )
    respx_mock.get(FRAME_URL).mock(
        return_value=httpx.Response(200, headers={"Content-Type": "image/png"}, content=PNG_HEAD)
    )

    assert results.mirror(finishing.pk) is None

    generation = reload(finishing)
    assert (generation.status, generation.mirror_state, generation.error_code) == (
        "failed",
        "failed",
        "result_unavailable",
    )
    assert not generation.video_file
    assert "text/html" in generation.error_message or "content" in generation.error_message
    assert generation.charged == 0


def test_a_file_over_the_size_limit_is_refused(finishing, respx_mock, dns, settings):
    settings.RESULT_MAX_BYTES = 1000
    respx_mock.get(VIDEO_URL).mock(
        return_value=httpx.Response(
            200, headers={"Content-Type": "video/mp4"}, content=MP4_HEAD + b"\0" * 2000
        )
    )
    respx_mock.get(FRAME_URL).mock(return_value=httpx.Response(404))
    results.mirror(finishing.pk)
    generation = reload(finishing)
    assert generation.status == "failed"
    assert "1000-byte limit" in generation.error_message
    assert list((Path(settings.MEDIA_ROOT)).rglob("*.mp4")) == []


def test_a_dead_provider_url_fails_the_job_without_showing_the_url(finishing, respx_mock, dns):
    respx_mock.get(VIDEO_URL).mock(return_value=httpx.Response(410, text="expired"))
    respx_mock.get(FRAME_URL).mock(return_value=httpx.Response(404))

    results.mirror(finishing.pk)

    generation = reload(finishing)
    assert generation.error_message == (
        "The provider's video could not be copied: the provider URL answered HTTP 410"
    )
    assert all(VIDEO_URL not in e.message for e in generation.events.all())  # the URL is for staff only
    assert (generation.status, generation.video_url) == ("failed", VIDEO_URL)


def test_transient_errors_are_retried_with_backoff_then_given_up(finishing, respx_mock, dns, settings):
    settings.RESULT_MIRROR_RETRY_SCHEDULE = [30, 120]
    respx_mock.get(VIDEO_URL).mock(side_effect=httpx.ConnectError("refused"))
    respx_mock.get(FRAME_URL).mock(return_value=httpx.Response(503))

    assert results.mirror(finishing.pk, attempt=1).total_seconds() == 30
    assert results.mirror(finishing.pk, attempt=2).total_seconds() == 120
    assert reload(finishing).stage == "finishing"
    assert results.mirror(finishing.pk, attempt=3) is None

    generation = reload(finishing)
    assert (generation.status, generation.error_code) == ("failed", "result_unavailable")
    assert "gave up after 3 attempts" in generation.error_message
    assert results.mirror(finishing.pk, attempt=4) is None


def test_a_provider_url_pointing_inside_is_refused(tenant, queued, respx_mock, dns):
    generation = running_generation(tenant)
    provide(generation, "succeeded", video_url="http://169.254.169.254/latest/meta-data/iam")
    results.mirror(generation.pk)
    generation = reload(generation)
    assert generation.status == "failed"
    assert "metadata" in generation.error_message


def test_only_finishing_generations_are_copied(tenant, queued):
    generation = running_generation(tenant)
    finish(generation, "failed")
    assert results.mirror(generation.pk) is None
    assert results.mirror("gen_unknown") is None


def test_the_sandbox_result_is_copied_end_to_end(tenant, queued, sandbox):
    """The sandbox's real MP4 and PNG, served in-process on SITE_URL through the outbound guard."""
    from generations.sandbox.protocols.base import last_frame_url, video_url

    generation = running_generation(tenant)
    provide(generation, "succeeded", video_url=video_url(), last_frame_url=last_frame_url())

    results.mirror(generation.pk)

    generation = reload(generation)
    assert generation.status == "succeeded", notes(generation)
    assert generation.video_file.read() == (SAMPLE_DIR / "sample.mp4").read_bytes()
    assert generation.last_frame_file.read() == (SAMPLE_DIR / "last-frame.png").read_bytes()
