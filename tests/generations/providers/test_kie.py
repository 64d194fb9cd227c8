"""Kie.ai ("Seedance 1.5 Pro I2V api call for Kie") and Apikley ("Bytedance - Seedance 1.5 Pro").

The market-jobs protocol on saved payloads.
"""

from __future__ import annotations

import json
import time

import pytest

from generations.providers.base import CallbackRejected, ProviderError, State
from generations.providers.kie import sign

from .helpers import BASE, KEY, load, make, response, sent_json, spec

CALLBACK = {
    "kie": "https://app.example.com/callbacks/kie/tok123/",
    "apikley": "https://app.example.com/callbacks/apikley/tok123/",
}


@pytest.mark.parametrize("slug", ["kie", "apikley"])
@pytest.mark.parametrize("kind", ["text_to_video", "first_frame", "first_last_frame"])
def test_create_body_matches_the_seed_field_by_field(slug, kind):
    request = make(slug).build_create(spec(kind, generate_audio=True), CALLBACK[slug])

    assert request.method == "POST"
    assert str(request.url) == f"{BASE}/api/v1/jobs/createTask"
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert sent_json(request) == load(slug, f"request_{kind}")


def test_kie_sends_duration_as_a_string_and_apikley_as_an_integer():
    assert sent_json(make("kie").build_create(spec("text_to_video"), None))["input"]["duration"] == "8"
    assert sent_json(make("apikley").build_create(spec("text_to_video"), None))["input"]["duration"] == 8


def test_no_callback_url_means_no_callBackUrl_field():
    assert "callBackUrl" not in sent_json(make("kie").build_create(spec("text_to_video"), None))


@pytest.mark.parametrize(
    ("slug", "task_id"), [("kie", "task_12345678"), ("apikley", "task_bytedance_1765186743319")]
)
def test_create_success_gives_the_task_id(slug, task_id):
    assert make(slug).parse_create(response(slug=slug, name="create_ok")) == task_id


def test_create_401_is_permanent_and_names_the_problem():
    with pytest.raises(ProviderError) as exc:
        make("apikley").parse_create(response(slug="apikley", name="create_error_401"))
    assert not exc.value.retryable
    assert exc.value.task_created is False
    assert "You do not have access permissions" in exc.value.message


@pytest.mark.parametrize(
    ("code", "retryable"),
    [
        (401, False),
        (402, False),
        (404, False),
        (422, False),
        (429, True),
        (433, False),
        (455, True),
        (500, True),
        (501, False),
        (505, False),
    ],
)
@pytest.mark.parametrize("http_status", [200, "same"])
def test_every_documented_error_code_is_mapped(code, retryable, http_status):
    # Kie puts the error in the envelope's code, with HTTP 200 or (perhaps) the same HTTP status.
    status = code if http_status == "same" else 200
    with pytest.raises(ProviderError) as exc:
        make("apikley").parse_create(response(status, {"code": code, "msg": "nope"}))
    assert exc.value.retryable is retryable
    assert exc.value.code == f"kie_{code}"


def test_build_status_asks_record_info_with_the_task_id():
    request = make("kie").build_status("task_1")
    assert request.method == "GET"
    assert str(request.url) == f"{BASE}/api/v1/jobs/recordInfo?taskId=task_1"


@pytest.mark.parametrize(
    ("name", "state"),
    [
        ("status_waiting", State.QUEUED),
        ("status_queuing", State.QUEUED),
        ("status_generating", State.RUNNING),
    ],
)
def test_waiting_states_are_not_terminal(name, state):
    update = make("kie").parse_status(response(slug="kie", name=f"{name}.inferred"))
    assert update.state == state
    assert not update.is_terminal


def test_success_reads_the_json_string_inside_the_json():
    update = make("kie").parse_status(response(slug="kie", name="status_success.inferred"))
    assert update.state == State.SUCCEEDED
    assert update.video_url == "https://tempfile.aiquickdraw.com/r/video.mp4"


def test_fail_carries_the_fail_code_and_message():
    update = make("apikley").parse_status(response(slug="kie", name="status_fail.inferred"))
    assert (update.state, update.error_code, update.error_message) == (
        State.FAILED,
        "500",
        "Internal server error",
    )


def test_an_unknown_state_keeps_polling(caplog):
    body = load("kie", "status_generating.inferred")
    body["data"]["state"] = "postprocessing"
    update = make("kie").parse_status(response(200, body))
    assert update.state == State.RUNNING
    assert "postprocessing" in caplog.text


def test_record_info_404_is_a_permanent_error():
    with pytest.raises(ProviderError) as exc:
        make("kie").parse_status(response(200, {"code": 404, "msg": "task not found"}))
    assert not exc.value.retryable


def test_a_broken_status_body_is_retryable():
    with pytest.raises(ProviderError) as exc:
        make("kie").parse_status(response(200, b'{"code": 200, "data": {'))
    assert exc.value.retryable


@pytest.mark.parametrize(
    ("name", "task_id", "state"),
    [
        ("callback_success", "e989621f54392584b05867f87b160672", "success"),
        ("callback_fail", "bd3a37c523149e4adf45a3ddb5faf1a8", "fail"),
    ],
)
def test_unsigned_callbacks_name_their_task_when_no_key_is_configured(name, task_id, state):
    adapter = make("kie")
    callback = adapter.parse_callback(json.dumps(load("kie", name)).encode(), {})
    assert (callback.task_id, callback.claimed, callback.replay_key) == (task_id, state, None)
    assert not adapter.callbacks_are_signed


def signed_headers(task_id, key="hmac-key", timestamp=None):
    timestamp = str(timestamp or int(time.time()))
    return {"X-Webhook-Timestamp": timestamp, "X-Webhook-Signature": sign(key, task_id, timestamp)}


def test_a_correctly_signed_callback_names_its_task_and_signature_but_no_result():
    adapter = make("kie", webhook_hmac_key="hmac-key")
    body = json.dumps(load("kie", "callback_success")).encode()
    headers = signed_headers("e989621f54392584b05867f87b160672")
    callback = adapter.parse_callback(body, headers)
    assert callback.task_id == "e989621f54392584b05867f87b160672"
    # The signature covers taskId.timestamp only: the body's resultUrls are not even read.
    assert "example.com/generated-image.jpg" not in repr({**vars(callback), "raw": None})
    assert callback.replay_key == f"{headers['X-Webhook-Timestamp']}.{headers['X-Webhook-Signature']}"
    assert adapter.callbacks_are_signed


@pytest.mark.parametrize(
    "headers",
    [
        {},
        signed_headers("e989621f54392584b05867f87b160672", key="wrong-key"),
        signed_headers("another-task"),
        signed_headers("e989621f54392584b05867f87b160672", timestamp=int(time.time()) - 3600),
    ],
    ids=["unsigned", "wrong-key", "other-task", "replayed"],
)
def test_a_bad_signature_is_refused(headers):
    body = json.dumps(load("kie", "callback_success")).encode()
    with pytest.raises(CallbackRejected) as exc:
        make("kie", webhook_hmac_key="hmac-key").parse_callback(body, headers)
    assert exc.value.code == "bad_signature"


def test_apikley_never_claims_signed_callbacks():
    assert not make("apikley", webhook_hmac_key="hmac-key").callbacks_are_signed


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"code": 200}',
        b'{"code": 200, "data": {"state": "success"}}',
        b'{"code": 200, "data": {"taskId": "t1"}}',
        b'{"code": 200, "data": {"taskId": ["t1"], "state": "success"}}',
    ],
    ids=["not-json", "array", "no-data", "no-task-id", "no-state", "task-id-not-a-string"],
)
def test_a_malformed_callback_is_refused(body):
    with pytest.raises(CallbackRejected) as exc:
        make("kie").parse_callback(body, {})
    assert exc.value.code == "malformed_callback"


def test_kie_has_no_cancel():
    assert make("kie").build_cancel("task_1") is None


def test_success_says_how_long_the_task_took_by_kies_clock():
    update = make("kie").parse_status(response(slug="kie", name="status_success.inferred"))
    assert update.run_seconds == pytest.approx(99.681)  # completeTime - createTime
