"""Mirroring provider results into our storage: streamed, checked, retried, recorded."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import httpx
import pytest

from generations import results
from generations.models import Generation, GenerationEvent
from tests.webhooks.helpers import finish, running_generation

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
def succeeded(tenant, queued):
    generation = running_generation(tenant)
    finish(generation, "succeeded", video_url=VIDEO_URL, last_frame_url=FRAME_URL)
    return Generation.objects.get(pk=generation.pk)


def mirror_events(generation):
    return [
        (e.data["kind"], e.data["mirror"])
        for e in GenerationEvent.objects.filter(generation=generation, data__has_key="mirror")
    ]


def test_the_video_and_last_frame_are_copied_into_storage(succeeded, respx_mock, dns):
    video = (SAMPLE_DIR / "sample.mp4").read_bytes()
    frame = (SAMPLE_DIR / "last-frame.png").read_bytes()
    respx_mock.get(VIDEO_URL).mock(
        return_value=httpx.Response(200, headers={"Content-Type": "video/mp4"}, content=video)
    )
    respx_mock.get(FRAME_URL).mock(
        return_value=httpx.Response(200, headers={"Content-Type": "image/png"}, content=frame)
    )

    assert results.mirror(succeeded.pk) == "stored,stored"

    succeeded.refresh_from_db()
    assert succeeded.video_file.name.endswith(f"{succeeded.pk}.mp4")
    assert succeeded.video_file.read() == video
    assert succeeded.last_frame_file.name.endswith(f"{succeeded.pk}-last-frame.png")
    assert succeeded.last_frame_file.read() == frame
    assert mirror_events(succeeded) == [("video", "stored"), ("last_frame", "stored")]
    # A second run (a duplicate task) downloads nothing.
    assert results.mirror(succeeded.pk) == "nothing_to_do"


def test_a_large_video_is_streamed_to_disk_with_bounded_memory(succeeded, respx_mock, dns, settings):
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
        outcome = results.mirror(succeeded.pk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert outcome == "stored,gone"
    succeeded.refresh_from_db()
    assert succeeded.video_file.size == size
    assert peak < 5 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB: the body was held in memory"


@pytest.mark.parametrize(
    ("content_type", "body"),
    [("text/html", b"<html>not a video</html>"), ("video/mp4", b"<html>not a video</html>")],
)
def test_a_wrong_content_type_or_content_is_refused_and_recorded(
    succeeded, respx_mock, dns, content_type, body
):
    respx_mock.get(VIDEO_URL).mock(
        return_value=httpx.Response(200, headers={"Content-Type": content_type}, content=body)
    )
    respx_mock.get(FRAME_URL).mock(
        return_value=httpx.Response(200, headers={"Content-Type": "image/png"}, content=PNG_HEAD)
    )

    assert results.mirror(succeeded.pk) == "refused,stored"
    succeeded.refresh_from_db()
    assert not succeeded.video_file
    event = GenerationEvent.objects.get(generation=succeeded, data__mirror="refused")
    assert "video" in event.message and ("text/html" in event.message or "content" in event.message)
    assert results.mirror_gave_up(succeeded)


def test_a_file_over_the_size_limit_is_refused(succeeded, respx_mock, dns, settings):
    settings.RESULT_MAX_BYTES = 1000
    respx_mock.get(VIDEO_URL).mock(
        return_value=httpx.Response(
            200, headers={"Content-Type": "video/mp4"}, content=MP4_HEAD + b"\0" * 2000
        )
    )
    respx_mock.get(FRAME_URL).mock(return_value=httpx.Response(404))
    assert results.mirror(succeeded.pk) == "refused,gone"
    event = GenerationEvent.objects.get(generation=succeeded, data__kind="video")
    assert "1000-byte limit" in event.message
    assert list((Path(settings.MEDIA_ROOT)).rglob("*.mp4")) == []


def test_a_dead_provider_url_is_recorded_not_raised(succeeded, respx_mock, dns):
    respx_mock.get(VIDEO_URL).mock(return_value=httpx.Response(410, text="expired"))
    respx_mock.get(FRAME_URL).mock(return_value=httpx.Response(404))

    assert results.mirror(succeeded.pk) == "gone,gone"

    event = GenerationEvent.objects.get(generation=succeeded, data__kind="video")
    assert (
        event.message == "The provider's video is no longer available (the provider URL answered HTTP 410)."
    )
    assert VIDEO_URL not in event.message  # the provider URL is for staff only
    succeeded.refresh_from_db()
    assert succeeded.status == "succeeded" and succeeded.video_url == VIDEO_URL


def test_transient_errors_are_retried_with_backoff_then_given_up(
    succeeded, respx_mock, dns, queued, settings
):
    settings.RESULT_MIRROR_RETRY_SCHEDULE = [30, 120]
    respx_mock.get(VIDEO_URL).mock(side_effect=httpx.ConnectError("refused"))
    respx_mock.get(FRAME_URL).mock(return_value=httpx.Response(503))
    queued.clear()

    assert results.mirror(succeeded.pk, attempt=1) == "retrying,retrying"
    (func, (generation_id, attempt, options)) = queued[-1]
    assert (func, generation_id, attempt) == ("schedule:generations.results.mirror", succeeded.pk, 2)
    assert (options["next_run"] - GenerationEvent.objects.last().at).total_seconds() == pytest.approx(
        30, abs=1
    )

    assert results.mirror(succeeded.pk, attempt=2) == "retrying,retrying"
    assert queued[-1][1][1] == 3
    assert results.mirror(succeeded.pk, attempt=3) == "gave_up,gave_up"
    assert results.mirror_gave_up(succeeded)
    assert results.mirror(succeeded.pk, attempt=4) == "nothing_to_do"


def test_a_provider_url_pointing_inside_is_refused(tenant, queued, respx_mock, dns):
    generation = running_generation(tenant)
    finish(generation, "succeeded", video_url="http://169.254.169.254/latest/meta-data/iam")
    assert results.mirror(generation.pk) == "refused"
    event = GenerationEvent.objects.get(generation=generation, data__kind="video")
    assert "metadata" in event.message


def test_only_succeeded_generations_are_mirrored(tenant, queued):
    generation = running_generation(tenant)
    finish(generation, "failed")
    assert results.mirror(generation.pk) == "skipped"
    assert results.mirror("gen_unknown") == "skipped"


def test_the_sweep_picks_up_successes_whose_mirror_never_ran(succeeded, queued, respx_mock, dns):
    import time_machine
    from django.utils import timezone

    queued.clear()
    assert results.sweep_unmirrored() == "enqueued 0"  # too recent: its own task may be running
    with time_machine.travel(timezone.now() + timezone.timedelta(minutes=11)):
        assert results.sweep_unmirrored() == "enqueued 1"
        respx_mock.get(VIDEO_URL).mock(return_value=httpx.Response(404))
        respx_mock.get(FRAME_URL).mock(return_value=httpx.Response(404))
        results.mirror(succeeded.pk)
        queued.clear()
        assert results.sweep_unmirrored() == "enqueued 0"  # handled (here: recorded as gone)
    assert queued == []


def test_the_sandbox_result_is_mirrored_end_to_end(tenant, queued, sandbox, settings):
    """The sandbox's real MP4 and PNG, served in-process on SITE_URL."""
    from generations.outbound import use_transport
    from generations.providers.transport import InProcessTransport
    from generations.sandbox.protocols.base import last_frame_url, video_url
    from generations.sandbox.testing import InProcessWSGIHandler

    settings.OUTBOUND_ALLOWLIST = ["127.0.0.1", "localhost"]
    # Static files come from the finders in development (DEBUG); tests run with DEBUG off.
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    generation = running_generation(tenant)
    finish(generation, "succeeded", video_url=video_url(), last_frame_url=last_frame_url())
    with use_transport(InProcessTransport(app=InProcessWSGIHandler())):
        outcome = results.mirror(generation.pk)
    generation.refresh_from_db()
    assert outcome == "stored,stored", mirror_events(generation)
    assert generation.video_file.read() == (SAMPLE_DIR / "sample.mp4").read_bytes()
