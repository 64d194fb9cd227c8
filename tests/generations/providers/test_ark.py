"""Ark (official) and kkiai ("seedance-1-5-pro"): the content-generation task protocol on saved payloads."""

from __future__ import annotations

import json

import pytest

from generations.providers.base import CallbackRejected, ProviderError, State

from .helpers import BASE, load, make, response, sent_json, spec

ARK_CALLBACK = "https://app.example.com/callbacks/ark/tok123/"


@pytest.mark.parametrize("kind", ["text_to_video", "first_frame", "first_last_frame"])
def test_ark_create_body_field_by_field(kind):
    request = make("ark").build_create(spec(kind, generate_audio=True), ARK_CALLBACK)
    assert str(request.url) == f"{BASE}/contents/generations/tasks"
    assert sent_json(request) == load("ark", f"request_{kind}")


@pytest.mark.parametrize("kind", ["text_to_video", "first_frame", "first_last_frame"])
def test_kkiai_create_body_leaves_out_what_kkiai_does_not_document(kind):
    # No callback_url or return_last_frame: kkiai documents neither (its page "seedance-1-5-pro").
    request = make("kkiai").build_create(spec(kind, generate_audio=True), "https://app.example.com/cb/")
    assert sent_json(request) == load("kkiai", f"request_{kind}")


def test_model_id_comes_from_options():
    assert sent_json(make("ark", model="ep-2026-endpoint").build_create(spec("text_to_video"), None))[
        "model"
    ] == ("ep-2026-endpoint")


def test_seed_is_sent_only_when_chosen_and_auto_duration_as_minus_one():
    body = sent_json(make("ark").build_create(spec("text_to_video", seed=7, duration=-1), None))
    assert (body["seed"], body["duration"]) == (7, -1)
    assert "seed" not in sent_json(make("ark").build_create(spec("text_to_video"), None))


@pytest.mark.parametrize(
    ("slug", "task_id"), [("ark", "cgt-2025******-****"), ("kkiai", "cgt-20250918170228-dw9rb")]
)
def test_create_success(slug, task_id):
    assert make(slug).parse_create(response(slug=slug, name="create_ok")) == task_id


@pytest.mark.parametrize(
    ("status", "code", "retryable"),
    [
        (400, "InvalidParameter", False),
        (400, "InputTextSensitiveContentDetected", False),
        (401, "AuthenticationError", False),
        (403, "AccountOverdueError", False),
        (404, "ModelNotOpen", False),
        (429, "ModelAccountRpmRateLimitExceeded", True),
        (429, "ServerOverloaded", True),
        (429, "SetLimitExceeded", False),
        (429, "QuotaExceeded", False),
        (500, "InternalServiceError", True),
    ],
)
def test_documented_errors_map_to_retryable_or_permanent(status, code, retryable):
    body = load("ark", "error_invalid_parameter")
    body["error"]["code"] = code
    with pytest.raises(ProviderError) as exc:
        make("ark").parse_create(response(status, body))
    assert (exc.value.code, exc.value.retryable, exc.value.task_created) == (code, retryable, False)


def test_status_request_and_cancel_request():
    adapter = make("ark")
    assert str(adapter.build_status("cgt-1").url) == f"{BASE}/contents/generations/tasks/cgt-1"
    cancel = adapter.build_cancel("cgt-1")
    assert (cancel.method, str(cancel.url)) == ("DELETE", f"{BASE}/contents/generations/tasks/cgt-1")
    assert make("kkiai").build_cancel("cgt-1") is None


def test_succeeded_official_example():
    update = make("ark").parse_status(response(slug="ark", name="status_succeeded"))
    assert update.state == State.SUCCEEDED
    assert update.video_url.startswith("https://ark-content-generation-cn-beijing")
    assert update.duration_s == 5


def test_succeeded_with_last_frame():
    update = make("ark").parse_status(response(slug="ark", name="status_succeeded_last_frame.inferred"))
    assert update.last_frame_url == "https://ark.example.com/last.png"


@pytest.mark.parametrize(
    ("name", "state"),
    [
        ("queued", State.QUEUED),
        ("running", State.RUNNING),
        ("cancelled", State.CANCELLED),
        ("expired", State.EXPIRED),
    ],
)
def test_every_other_documented_state(name, state):
    assert make("ark").parse_status(response(slug="ark", name=f"status_{name}.inferred")).state == state


def test_failed_carries_the_error():
    update = make("ark").parse_status(response(slug="ark", name="status_failed.inferred"))
    assert (update.state, update.error_code) == (State.FAILED, "OutputVideoSensitiveContentDetected")


def test_kkiai_submitted_and_wrapped_bodies():
    adapter = make("kkiai")
    assert adapter.parse_status(response(200, {"id": "cgt-1", "status": "submitted"})).state == State.QUEUED
    assert (
        adapter.parse_status(response(slug="kkiai", name="status_wrapped_running.inferred")).state
        == State.RUNNING
    )
    update = adapter.parse_status(response(slug="kkiai", name="status_succeeded.inferred"))
    assert update.video_url == "https://kkiai.example.com/v.mp4"


def test_an_unknown_status_keeps_polling():
    assert make("ark").parse_status(response(200, {"id": "cgt-1", "status": "paused"})).state == State.RUNNING


def test_callback_is_the_task_body_and_unsigned():
    adapter = make("ark")
    callback = adapter.parse_callback(json.dumps(load("ark", "status_succeeded")).encode(), {})
    assert (callback.task_id, callback.claimed, callback.replay_key) == (
        "cgt-2025******-****",
        "succeeded",
        None,
    )
    assert not adapter.callbacks_are_signed


@pytest.mark.parametrize(
    "body",
    [b"{", b'"text"', b'{"id": "cgt-1"}', b'{"status": 3, "id": "x"}', b'{"status": "queued", "id": 1.5}'],
)
def test_malformed_callbacks_are_refused(body):
    with pytest.raises(CallbackRejected):
        make("ark").parse_callback(body, {})


def test_succeeded_says_how_long_the_task_took_by_arks_clock():
    update = make("ark").parse_status(response(slug="ark", name="status_succeeded"))
    assert update.run_seconds == 54  # updated_at - created_at
