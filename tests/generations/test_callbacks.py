import json

import pytest
from django.test import Client

from billing.models import LedgerEntry
from billing.services import balance
from generations.models import Status
from tests.generations.conftest import PRICE, created, reload, status

VIDEO = "https://cdn.test/v.mp4"


@pytest.fixture
def signed(fake_providers):
    return fake_providers.add("alpha", callbacks=True, secret="s3cret")


@pytest.fixture
def job(create, fake_providers, run_queued):
    fake_providers.script(created("task-1"))
    generation = create()
    run_queued()
    return reload(generation)


@pytest.fixture
def post(django_capture_on_commit_callbacks):
    # A provider is not a browser: no session, no CSRF token.
    client = Client(enforce_csrf_checks=True)

    def send(generation, body, provider="alpha", token=None, **headers):
        token = token or generation.callback_token
        content = body if isinstance(body, bytes) else json.dumps(body)
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                f"/callbacks/{provider}/{token}/", content, content_type="application/json", headers=headers
            )

    return send


def test_a_signed_callback_is_applied_at_once(signed, job, post, funded, queued, run_queued):
    response = post(
        job, {"task_id": "task-1", "state": "succeeded", "video_url": VIDEO}, X_Signature="s3cret"
    )

    assert response.status_code == 200
    assert reload(job).stage == "finishing"  # no status call: the signed word is trusted
    assert run_queued() == []  # the outbox worker copies the video; nothing else runs
    generation = reload(job)
    assert (generation.status, generation.video_url, generation.charged) == (Status.SUCCEEDED, VIDEO, PRICE)
    assert generation.events.filter(kind="callback").count() == 1
    assert queued == []


def test_an_unsigned_callback_only_triggers_a_status_fetch(job, post, fake_providers, run_queued, funded):
    response = post(job, {"task_id": "task-1", "state": "succeeded", "video_url": "https://evil.test/x.mp4"})

    assert response.status_code == 200
    assert reload(job).status == Status.QUEUED  # not trusted as is
    fake_providers.script(status("running"))
    run_queued()
    assert reload(job).status == Status.RUNNING  # what the provider itself says
    assert fake_providers.calls[-1].method == "GET"


def test_duplicate_callbacks_settle_once(signed, job, post, funded, run_queued):
    body = {"task_id": "task-1", "state": "succeeded", "video_url": VIDEO}

    for _ in range(3):
        assert post(job, body, X_Signature="s3cret").status_code == 200
        run_queued()

    assert LedgerEntry.objects.filter(generation=job, kind="charge").count() == 1
    assert balance(funded).balance == 1000 - PRICE


@pytest.mark.parametrize("copied_first", [True, False], ids=["succeeded", "finishing"])
def test_a_late_failure_does_not_undo_a_success(signed, job, post, funded, run_queued, copied_first):
    post(job, {"task_id": "task-1", "state": "succeeded", "video_url": VIDEO}, X_Signature="s3cret")
    if copied_first:
        run_queued()

    post(job, {"task_id": "task-1", "state": "failed"}, X_Signature="s3cret")

    run_queued()
    assert reload(job).status == Status.SUCCEEDED
    assert balance(funded).balance == 1000 - PRICE


def test_an_unknown_token_is_404(job, post):
    response = post(job, {"task_id": "task-1", "state": "running"}, token="not-a-token")

    assert response.status_code == 404
    assert reload(job).status == Status.QUEUED


def test_a_token_used_with_another_provider_is_404(job, post, fake_providers):
    fake_providers.add("beta")

    assert post(job, {"task_id": "task-1", "state": "running"}, provider="beta").status_code == 404


def test_a_malformed_body_is_400(job, post, queued):
    response = post(job, b"{not json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_callback"
    assert reload(job).events.filter(kind="callback").count() == 0
    assert queued == []


def test_a_bad_signature_is_401_and_changes_nothing(signed, job, post, funded):
    response = post(job, {"task_id": "task-1", "state": "succeeded", "video_url": VIDEO}, X_Signature="guess")

    assert response.status_code == 401
    assert reload(job).status == Status.QUEUED
    assert balance(funded).held == PRICE


def test_a_callback_about_another_task_is_400(job, post, queued):
    response = post(job, {"task_id": "someone-elses", "state": "succeeded"})

    assert response.status_code == 400
    assert queued == []


def test_only_post_is_accepted(job):
    assert Client().get(f"/callbacks/alpha/{job.callback_token}/").status_code == 405


def test_the_timeline_never_shows_keys_or_the_callback_token(fake_providers, create, run_queued):
    fake_providers.add("alpha", callbacks=True)
    fake_providers.script(created("task-1"))
    generation = create()
    run_queued()

    timeline = json.dumps([e.data for e in generation.events.all()])

    assert "sk-alpha-secret" not in timeline
    assert generation.callback_token not in timeline
    assert "/callbacks/alpha/[token]/" in timeline
