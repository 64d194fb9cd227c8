"""POST /callbacks/<provider>/<token>/ with bodies no provider sends: 4xx, and the job is untouched.
A body that looks right (even signed) is only a wake-up: the provider's status call decides."""

import json
import time

import httpx
import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from billing.services import balance
from generations import services, tasks
from generations.models import FINISHING, Generation, GenerationEvent, Status
from generations.providers import transport
from generations.providers.kie import sign
from generations.sandbox.models import SandboxTask
from generations.spec import GenerationSpec
from tests.badinput.conftest import JSON, fuzz
from tests.factories import fund, make_generation

pytestmark = pytest.mark.django_db

PROVIDERS = ["kie", "apikley", "kkiai", "ark", "aizfw", "sandbox"]
KEY = "badinput-signing-key"
EVIL = "https://evil.example/forged.mp4"


@pytest.fixture
def jobs(tenant, sandbox, settings):
    # Kie signs when a key is set: then an unsigned body is refused outright (401).
    settings.KIE_WEBHOOK_HMAC_KEY = KEY
    return {
        slug: make_generation(tenant, provider=slug, status=Status.RUNNING, provider_task_id=f"task-{slug}")
        for slug in PROVIDERS
    }


def unchanged(job) -> tuple:
    row = Generation.objects.get(pk=job.pk)
    return (
        row.status,
        row.next_poll_at,
        row.provider_task_id,
        GenerationEvent.objects.filter(generation=job).count(),
    )


def post(job, body: bytes, content_type="application/json", token=None):
    url = f"/callbacks/{job.provider}/{token or job.callback_token}/"
    return Client(HTTP_HOST="127.0.0.1").generic("POST", url, body, content_type=content_type)


@fuzz
@given(provider=st.sampled_from(PROVIDERS), body=JSON)
def test_random_json_never_moves_a_job(jobs, provider, body):
    job = jobs[provider]
    before = unchanged(job)
    response = post(job, json.dumps(body).encode())
    assert 400 <= response.status_code < 500, (provider, response.status_code, response.content[:200])
    assert unchanged(job) == before


@fuzz
@given(provider=st.sampled_from(PROVIDERS), body=st.binary(max_size=400))
def test_random_bytes_never_move_a_job(jobs, provider, body):
    job = jobs[provider]
    before = unchanged(job)
    response = post(job, body, content_type="application/octet-stream")
    assert 400 <= response.status_code < 500
    assert unchanged(job) == before


@fuzz
@given(
    provider=st.sampled_from(PROVIDERS), token=st.text(min_size=1, max_size=60).filter(lambda t: "/" not in t)
)
def test_unknown_tokens_are_404(jobs, provider, token):
    job = jobs[provider]
    before = unchanged(job)
    response = post(job, b"{}", token=token.encode("utf-8", "replace").hex())
    assert response.status_code == 404
    assert unchanged(job) == before


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_huge_body_is_refused(jobs, provider):
    job = jobs[provider]
    before = unchanged(job)
    response = post(job, b'{"data": {"taskId": "' + b"x" * (5 * 1024 * 1024) + b'"}}')
    assert 400 <= response.status_code < 500
    assert unchanged(job) == before


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_callback_for_another_task_is_refused(jobs, provider):
    """A well-formed completion naming a task this job does not have."""
    job = jobs[provider]
    before = unchanged(job)
    body = {
        "id": "cgt-other", "status": "succeeded", "content": {"video_url": "https://cdn.test/v.mp4"},
        "code": 200, "data": {"taskId": "other", "task_id": "other", "state": "success", "status": "SUCCESS"},
        "task_id": "other", "task": {"task_id": "other", "status": "TASK_STATUS_SUCCEED"},
    }  # fmt: skip
    response = post(job, json.dumps(body).encode())
    assert 400 <= response.status_code < 500
    assert unchanged(job) == before


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_other_methods_are_refused(jobs, method):
    job = jobs["ark"]
    response = Client(HTTP_HOST="127.0.0.1").generic(method, f"/callbacks/ark/{job.callback_token}/")
    assert response.status_code == 405


# --- Bodies that look right: a wake-up for the status call, never applied as they are ----------


@pytest.fixture
def polls(monkeypatch):
    """The status fetches callbacks ask for (django-q2 enqueues), recorded for the test to run."""
    asked: list[tuple] = []
    monkeypatch.setattr("generations.polling.async_task", lambda func, *args, **kwargs: asked.append(args))
    return asked


@pytest.fixture
def live(tenant, sandbox, settings):
    """Submit a real job to the sandbox's Kie or Apikley; the task there is still at work."""
    settings.KIE_WEBHOOK_HMAC_KEY = KEY
    settings.SANDBOX_DELAY_SECONDS = 600
    fund(tenant, 1000)

    def submit(provider="kie", prompt="A cat yawning at the camera"):
        job = services.create_generation(tenant, spec=GenerationSpec(prompt=prompt), provider=provider)
        assert tasks.submit_generation(job.id) == "submitted"
        return Generation.objects.get(pk=job.pk)

    return submit


def kie_body(task_id: str, state="success", urls=(EVIL,)) -> bytes:
    data = {"taskId": task_id, "state": state, "resultJson": json.dumps({"resultUrls": list(urls)})}
    return json.dumps({"code": 200, "msg": "success", "data": data}).encode()


def signed(task_id: str, timestamp: int | None = None) -> dict:
    timestamp = str(timestamp or int(time.time()))
    return {"HTTP_X_WEBHOOK_TIMESTAMP": timestamp, "HTTP_X_WEBHOOK_SIGNATURE": sign(KEY, task_id, timestamp)}


def post_kie(job, body: bytes, headers: dict, capture):
    with capture(execute=True):
        return Client(HTTP_HOST="127.0.0.1").post(
            f"/callbacks/{job.provider}/{job.callback_token}/",
            body,
            content_type="application/json",
            **headers,
        )


def test_a_signed_success_with_other_result_urls_is_ignored_and_the_status_call_decides(
    live, polls, tenant, django_capture_on_commit_callbacks
):
    job = live()
    task_id = job.provider_task_id

    response = post_kie(job, kie_body(task_id), signed(task_id), django_capture_on_commit_callbacks)

    assert response.status_code == 200
    assert polls == [(job.id, "callback")]
    assert tasks.poll_generation(job.id, "callback") in (Status.QUEUED, Status.RUNNING)  # Kie: at work
    job.refresh_from_db()
    assert (job.video_url, balance(tenant).held) == ("", job.held)
    SandboxTask.objects.filter(id=task_id).update(delay_seconds=0)  # now it is done upstream
    assert tasks.poll_generation(job.id, "callback") == FINISHING
    job.refresh_from_db()
    assert job.video_url.endswith("/static/sandbox/sample.mp4")  # the provider's own URL
    assert EVIL not in json.dumps(job.provider_payload)


def test_a_replayed_signature_is_409_and_changes_nothing(live, polls, django_capture_on_commit_callbacks):
    job = live()
    headers = signed(job.provider_task_id)
    first = post_kie(job, kie_body(job.provider_task_id, "fail"), headers, django_capture_on_commit_callbacks)
    assert first.status_code == 200
    before = unchanged(job)

    replay = post_kie(job, kie_body(job.provider_task_id), headers, django_capture_on_commit_callbacks)

    assert replay.status_code == 409
    assert replay.json()["error"]["code"] == "replayed_signature"
    assert unchanged(job) == before
    assert polls == [(job.id, "callback")]  # one status fetch, for the first delivery only


def test_a_new_signature_for_the_same_task_is_not_a_replay(live, polls, django_capture_on_commit_callbacks):
    job = live()
    now = int(time.time())
    for timestamp in (now - 2, now - 1):  # the provider retrying, signing each delivery anew
        response = post_kie(
            job,
            kie_body(job.provider_task_id),
            signed(job.provider_task_id, timestamp),
            django_capture_on_commit_callbacks,
        )
        assert response.status_code == 200
    assert len(polls) == 2


def test_an_unsigned_callback_triggers_the_status_call(live, polls, django_capture_on_commit_callbacks):
    job = live("apikley")  # Apikley documents no signing
    body = kie_body(job.provider_task_id)

    response = post_kie(job, body, {}, django_capture_on_commit_callbacks)

    assert response.status_code == 200
    assert polls == [(job.id, "callback")]
    assert tasks.poll_generation(job.id, "callback") in (Status.QUEUED, Status.RUNNING)
    assert Generation.objects.get(pk=job.pk).video_url == ""


def test_a_status_call_that_answers_garbage_leaves_the_job_to_the_poller(
    live, polls, tenant, django_capture_on_commit_callbacks
):
    job = live(prompt="A cat yawning at the camera [sandbox:malformed]")
    SandboxTask.objects.filter(id=job.provider_task_id).update(delay_seconds=0)

    response = post_kie(
        job, kie_body(job.provider_task_id), signed(job.provider_task_id), django_capture_on_commit_callbacks
    )

    assert response.status_code == 200
    assert tasks.poll_generation(job.id, "callback") == "error"
    job.refresh_from_db()
    assert (job.status, job.video_url, balance(tenant).held) == (Status.QUEUED, "", job.held)
    assert job.next_poll_at is not None  # the poller asks again


@pytest.mark.parametrize(
    "failure",
    [httpx.Response(503, text="upstream down"), httpx.ConnectError("connection refused")],
    ids=["http-503", "connect-error"],
)
def test_a_status_call_that_fails_is_not_a_500_and_changes_nothing(
    tenant, settings, monkeypatch, respx_mock, polls, django_capture_on_commit_callbacks, failure
):
    settings.KIE_BASE_URL, settings.KIE_API_KEY, settings.KIE_ENABLED = "https://kie.test", "k", True
    settings.KIE_WEBHOOK_HMAC_KEY = KEY
    settings.PROVIDER_HTTP_MAX_ATTEMPTS = 2
    monkeypatch.setattr(transport, "sleep", lambda seconds: None)
    route = respx_mock.get("https://kie.test/api/v1/jobs/recordInfo")
    route.mock(side_effect=failure) if isinstance(failure, Exception) else route.mock(return_value=failure)
    job = make_generation(tenant, provider="kie", status=Status.RUNNING, provider_task_id="task-kie")

    response = post_kie(job, kie_body("task-kie"), signed("task-kie"), django_capture_on_commit_callbacks)

    assert response.status_code == 200
    assert tasks.poll_generation(job.id, "callback") == "error"
    assert route.called
    job.refresh_from_db()
    assert (job.status, job.video_url) == (Status.RUNNING, "")
    assert job.next_poll_at is not None
