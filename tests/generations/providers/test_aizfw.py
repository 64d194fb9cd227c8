"""aizfw kyyAiPower ("Seedance Create Video Task") on saved payloads."""

from __future__ import annotations

import pytest

from generations.providers.base import CallbackRejected, ProviderError, State

from .helpers import BASE, load, make, response, sent_json, spec


@pytest.mark.parametrize("kind", ["text_to_video", "first_frame", "first_last_frame"])
def test_create_body_field_by_field(kind):
    request = make("aizfw").build_create(
        spec(kind, duration=5, generate_audio=True), "https://ignored.example/"
    )
    assert str(request.url) == f"{BASE}/v1/seedance/videos"
    assert sent_json(request) == load("aizfw", f"request_{kind}")


@pytest.mark.parametrize("resolution", ["480p", "720p", "1080p"])
def test_the_model_name_carries_the_resolution(resolution):
    body = sent_json(make("aizfw").build_create(spec("text_to_video", resolution=resolution), None))
    assert body["model"] == f"seedance_1_5_pro_{resolution}"
    assert "resolution" not in body


def test_create_success_and_status_path():
    adapter = make("aizfw")
    assert adapter.parse_create(response(slug="aizfw", name="create_ok")) == "video_abc123def456"
    assert str(adapter.build_status("video_abc123def456").url) == f"{BASE}/v1/result/video_abc123def456"


@pytest.mark.parametrize(("status", "retryable"), [(400, False), (401, False), (429, True), (500, True)])
def test_http_errors(status, retryable):
    with pytest.raises(ProviderError) as exc:
        make("aizfw").parse_create(response(status, load("aizfw", "error_400.inferred")))
    assert exc.value.retryable is retryable
    assert "invalid model" in exc.value.message


@pytest.mark.parametrize(
    ("name", "state"),
    [
        ("status_queued.inferred", State.QUEUED),
        ("status_processing", State.RUNNING),
        ("status_cancelled.inferred", State.CANCELLED),
    ],
)
def test_non_success_states(name, state):
    assert make("aizfw").parse_status(response(slug="aizfw", name=name)).state == state


def test_completed_gives_the_video_and_actual_duration():
    update = make("aizfw").parse_status(response(slug="aizfw", name="status_completed.inferred"))
    assert (update.state, update.video_url, update.duration_s) == (
        State.SUCCEEDED,
        "https://aizfw.example.com/video.mp4",
        5,
    )


def test_failed_carries_the_error_string():
    update = make("aizfw").parse_status(response(slug="aizfw", name="status_failed.inferred"))
    assert (update.state, update.error_message) == (State.FAILED, "<provider error message>")


def test_it_has_no_callbacks():
    with pytest.raises(CallbackRejected):
        make("aizfw").parse_callback(b"{}", {})
