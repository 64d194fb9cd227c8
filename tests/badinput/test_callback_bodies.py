"""POST /callbacks/<provider>/<token>/ with bodies no provider sends: 4xx, and the job is untouched."""

import json

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from generations.models import Generation, GenerationEvent, Status
from tests.badinput.conftest import JSON, fuzz
from tests.factories import make_generation

pytestmark = pytest.mark.django_db

PROVIDERS = ["kie", "apikley", "kkiai", "ark", "aizfw", "sandbox"]


@pytest.fixture
def jobs(tenant, sandbox, settings):
    # Kie signs when a key is set: then an unsigned body is refused outright (401).
    settings.KIE_WEBHOOK_HMAC_KEY = "badinput-signing-key"
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
