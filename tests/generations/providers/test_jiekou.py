"""JieKou on saved payloads: flat fields, one image-to-video endpoint for every mode, polling only."""

from __future__ import annotations

import pytest

from generations.providers.base import CallbackRejected, ProviderError, State

from .helpers import BASE, load, make, response, sent_json, spec


@pytest.mark.parametrize(
    ("kind", "path"),
    [
        ("text_to_video", "/v3/async/seedance-v1.5-pro-i2v"),
        ("first_frame", "/v3/async/seedance-v1.5-pro-i2v"),
        ("first_last_frame", "/v3/async/seedance-v1.5-pro-i2v"),
    ],
)
def test_create_body_field_by_field(kind, path):
    request = make("jiekou").build_create(
        spec(kind, generate_audio=True, seed=42), "https://ignored.example/"
    )
    assert str(request.url) == f"{BASE}{path}"
    assert sent_json(request) == load("jiekou", f"request_{kind}")


def test_create_success_and_status_query():
    adapter = make("jiekou")
    assert (
        adapter.parse_create(response(slug="jiekou", name="create_ok"))
        == "830d9c90-d53f-4c5a-8009-abcdef012345"
    )
    assert str(adapter.build_status("t-1").url) == f"{BASE}/v3/async/task-result?task_id=t-1"


@pytest.mark.parametrize(
    ("status", "reason", "retryable"),
    [
        (400, "INVALID_REQUEST_BODY", False),
        (401, "FAILED_TO_AUTH", False),
        (403, "NOT_ENOUGH_BALANCE", False),
        (404, "MODEL_NOT_FOUND", False),
        (429, "RATE_LIMIT_EXCEEDED", True),
        (503, "SERVICE_NOT_AVAILABLE", True),
    ],
)
def test_documented_errors(status, reason, retryable):
    body = load("jiekou", "error_400.inferred") | {"code": status, "reason": reason}
    with pytest.raises(ProviderError) as exc:
        make("jiekou").parse_create(response(status, body))
    assert (exc.value.code, exc.value.retryable) == (reason, retryable)


@pytest.mark.parametrize(
    ("name", "state"),
    [("status_queued.inferred", State.QUEUED), ("status_processing.inferred", State.RUNNING)],
)
def test_waiting_states(name, state):
    assert make("jiekou").parse_status(response(slug="jiekou", name=name)).state == state


def test_succeed_gives_the_first_video():
    update = make("jiekou").parse_status(response(slug="jiekou", name="status_succeed"))
    assert (update.state, update.video_url) == (State.SUCCEEDED, "https://jiekou.example.com/v.mp4")


def test_failed_carries_the_reason_and_an_expiry_reads_as_expired():
    update = make("jiekou").parse_status(response(slug="jiekou", name="status_failed.inferred"))
    assert (update.state, update.error_message) == (State.FAILED, "<upstream error message>")
    body = load("jiekou", "status_failed.inferred")
    body["task"]["reason"] = "task expired after execution_expires_after"
    assert make("jiekou").parse_status(response(200, body)).state == State.EXPIRED


def test_it_has_no_callbacks():
    with pytest.raises(CallbackRejected):
        make("jiekou").parse_callback(b"{}", {})


def test_success_says_how_long_the_task_took_where_the_debug_info_has_times():
    assert make("jiekou").parse_status(response(slug="jiekou", name="status_succeed")).run_seconds is None
    body = load("jiekou", "status_succeed")
    body["extra"]["debug_info"].update(submit_time_ms="1765186743319", complete_time_ms="1765186788819")
    assert make("jiekou").parse_status(response(200, body)).run_seconds == pytest.approx(45.5)
