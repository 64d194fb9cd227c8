import json

import pytest
from django.test import Client

from billing.models import LedgerEntry
from billing.services import balance
from generations import tasks
from generations.models import Status
from generations.providers.base import ProviderError
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


EVIL = "https://evil.test/x.mp4"


def test_a_signed_success_is_only_a_wake_up_and_the_status_fetch_decides(
    signed, job, post, funded, queued, run_queued, fake_providers
):
    response = post(
        job, {"task_id": "task-1", "state": "succeeded", "video_url": VIDEO}, X_Signature="s3cret.1"
    )

    assert response.status_code == 200
    assert reload(job).status == Status.QUEUED  # nothing from the body is applied
    assert queued == [("poll_generation", job.id, "callback")]
    fake_providers.script(status("succeeded", video_url=VIDEO))
    run_queued()  # the status fetch, then the copy of the video it named
    generation = reload(job)
    assert (generation.status, generation.video_url, generation.charged) == (Status.SUCCEEDED, VIDEO, PRICE)
    assert generation.result_source == "callback"
    assert fake_providers.calls[-1].method == "GET"
    assert generation.events.filter(kind="callback").count() == 1


@pytest.mark.parametrize("signature", [None, "s3cret.1"], ids=["unsigned", "signed"])
def test_a_forged_success_with_another_url_never_reaches_the_job(
    signed, job, post, funded, run_queued, fake_providers, time_machine, signature
):
    headers = {"X_Signature": signature} if signature else {}
    if not signature:
        signed.options["secret"] = None  # a provider that does not sign
    response = post(job, {"task_id": "task-1", "state": "succeeded", "video_url": EVIL}, **headers)

    assert response.status_code == 200
    fake_providers.script(status("running"))
    run_queued()
    generation = reload(job)
    assert generation.status == Status.RUNNING  # what the provider itself says
    assert generation.video_url == ""
    assert balance(funded).held == PRICE
    fake_providers.script(status("succeeded", video_url=VIDEO))
    time_machine.move_to(generation.next_poll_at)
    run_queued()  # the next scheduled poll
    generation = reload(job)
    assert (generation.status, generation.video_url) == (Status.SUCCEEDED, VIDEO)
    assert EVIL not in str(generation.provider_payload)


def test_a_replayed_signature_is_409_and_changes_nothing(signed, job, post, funded, queued):
    body = {"task_id": "task-1", "state": "succeeded", "video_url": VIDEO}
    assert post(job, body, X_Signature="s3cret.1").status_code == 200
    queued.clear()
    events = reload(job).events.count()

    response = post(job, {**body, "video_url": EVIL}, X_Signature="s3cret.1")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "replayed_signature"
    assert queued == []
    assert reload(job).events.count() == events
    assert reload(job).status == Status.QUEUED


def test_a_failing_status_fetch_leaves_the_job_to_the_poller(
    signed, job, post, funded, run_queued, fake_providers
):
    fake_providers.script(ProviderError("HTTP 503", retryable=True, task_created=None))

    response = post(job, {"task_id": "task-1", "state": "failed"}, X_Signature="s3cret.1")

    assert response.status_code == 200
    assert run_queued() == ["error"]
    generation = reload(job)
    assert generation.status == Status.QUEUED  # the callback's "failed" is not believed either
    assert generation.next_poll_at is not None  # polling goes on
    assert balance(funded).held == PRICE


def test_duplicate_callbacks_settle_once(signed, job, post, funded, run_queued, fake_providers):
    body = {"task_id": "task-1", "state": "succeeded", "video_url": VIDEO}

    for n in range(3):  # the provider's retries, each signed anew
        fake_providers.script(status("succeeded", video_url=VIDEO))
        assert post(job, body, X_Signature=f"s3cret.{n}").status_code == 200
        run_queued()

    assert LedgerEntry.objects.filter(generation=job, kind="charge").count() == 1
    assert balance(funded).balance == 1000 - PRICE


@pytest.mark.parametrize("copied_first", [True, False], ids=["succeeded", "finishing"])
def test_a_late_failure_does_not_undo_a_success(
    signed, job, post, funded, run_queued, fake_providers, copied_first
):
    fake_providers.script(status("succeeded", video_url=VIDEO))
    post(job, {"task_id": "task-1", "state": "succeeded"}, X_Signature="s3cret.1")
    if copied_first:
        run_queued()
    else:
        tasks.poll_generation(job.id, "callback")  # finishing; the copy has not run

    post(job, {"task_id": "task-1", "state": "failed"}, X_Signature="s3cret.2")

    run_queued()  # no status fetch: the job is past polling
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
    response = post(
        job, {"task_id": "task-1", "state": "succeeded", "video_url": VIDEO}, X_Signature="guess.1"
    )

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
