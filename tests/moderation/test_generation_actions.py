"""Each staff action, driven through the real admin: state, money, one audit event, idempotent."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from billing import services as billing
from billing.models import LedgerEntry
from generations import results
from generations.models import Status
from tests.generations.conftest import PRICE, created, status
from tests.moderation.conftest import audit_events, page_messages, reload


@pytest.fixture
def submitted(create, fake_providers, run_queued):
    """A job the provider accepted as task-1: queued, PRICE credits held."""
    generation = create()
    fake_providers.script(created("task-1"))
    run_queued()
    generation = reload(generation)
    assert generation.status == Status.QUEUED
    return generation


@pytest.fixture
def succeeded(submitted, fake_providers, run_action, run_queued):
    fake_providers.script(status("succeeded", video_url="https://cdn.test/v.mp4"))
    run_action("repoll", submitted)
    run_queued()  # the outbox worker copies the video
    generation = reload(submitted)
    assert generation.status == Status.SUCCEEDED
    return generation


def test_cancel_stops_a_running_job_and_releases_its_hold(submitted, run_action, funded, books_agree):
    assert billing.balance(funded).held == PRICE

    response = run_action("cancel_and_refund", submitted)

    generation = reload(submitted)
    assert generation.status == Status.CANCELLED
    assert (generation.held, generation.charged) == (0, 0)
    assert billing.balance(funded).as_dict() == {"balance": 1000, "held": 0, "available": 1000}
    assert "1 done" in page_messages(response)
    [event] = audit_events("generation.cancel", submitted)
    assert event.actor.email == "sam@example.org"
    assert event.tenant == funded
    assert (event.before["status"], event.after["status"]) == ("queued", "cancelled")
    assert (event.before["held"], event.after["held"]) == (PRICE, 0)

    run_action("cancel_and_refund", submitted)

    assert reload(submitted).status == Status.CANCELLED
    assert billing.balance(funded).available == 1000
    assert audit_events().count() == 1
    books_agree(funded)


def test_cancel_and_refund_refunds_a_succeeded_job_once(succeeded, run_action, funded, books_agree):
    assert billing.balance(funded).balance == 1000 - PRICE

    run_action("cancel_and_refund", succeeded)
    run_action("cancel_and_refund", succeeded)

    assert reload(succeeded).status == Status.SUCCEEDED  # the video was made; only the money goes back
    assert billing.balance(funded).balance == 1000
    [refund] = LedgerEntry.objects.filter(generation=succeeded, kind=LedgerEntry.Kind.REFUND)
    assert (refund.amount, refund.actor.email) == (PRICE, "sam@example.org")
    [event] = audit_events("generation.refund", succeeded)
    assert event.after["refunded"] == PRICE
    books_agree(funded)


def test_cancel_and_refund_leaves_a_failed_job_alone(submitted, fake_providers, run_action, funded):
    fake_providers.script(status("failed", error_code="boom", error_message="provider broke"))
    run_action("repoll", submitted)
    audits_before = audit_events().count()

    response = run_action("cancel_and_refund", submitted)

    assert reload(submitted).status == Status.FAILED
    assert billing.balance(funded).as_dict() == {"balance": 1000, "held": 0, "available": 1000}
    assert audit_events().count() == audits_before
    assert "already failed" in page_messages(response)


def test_repoll_applies_the_providers_answer_at_once(
    submitted, fake_providers, run_action, funded, run_queued
):
    fake_providers.script(status("succeeded", video_url="https://cdn.test/v.mp4"))

    run_action("repoll", submitted)

    assert reload(submitted).stage == "finishing"
    run_queued()  # the outbox worker copies the video
    generation = reload(submitted)
    assert (generation.status, generation.charged) == (Status.SUCCEEDED, PRICE)
    assert billing.balance(funded).as_dict() == {
        "balance": 1000 - PRICE,
        "held": 0,
        "available": 1000 - PRICE,
    }
    [event] = audit_events("generation.repoll", submitted)
    assert (event.before["status"], event.after["status"]) == ("queued", "running")

    # Finished now: a second re-poll has nothing to ask (the fake provider would fail on a call).
    run_action("repoll", submitted)

    assert len(fake_providers.calls) == 2  # the create call and the one poll
    assert billing.balance(funded).balance == 1000 - PRICE
    assert audit_events().count() == 1


def test_retry_submission_sends_a_pending_job_now(create, fake_providers, queued, run_action, funded):
    generation = create()
    queued.clear()  # the worker never picked it up
    fake_providers.script(created("task-7"))

    run_action("retry_submission", generation)

    generation = reload(generation)
    assert (generation.status, generation.provider_task_id) == (Status.QUEUED, "task-7")
    assert billing.balance(funded).held == PRICE
    assert audit_events("generation.retry", generation).count() == 1

    run_action("retry_submission", generation)

    assert len(fake_providers.calls) == 1
    assert audit_events().count() == 1


def test_retry_never_resends_a_create_call_with_an_unknown_outcome(
    create, fake_providers, queued, run_action
):
    from django.utils import timezone

    generation = create()
    queued.clear()
    # A create call went out and its answer never came back: the provider may have a task.
    type(generation).objects.filter(pk=generation.pk).update(submission_started_at=timezone.now())

    response = run_action("retry_submission", generation)

    assert fake_providers.calls == []
    assert reload(generation).status == Status.PENDING
    assert "not resubmitted" in page_messages(response)
    assert audit_events().count() == 0


@pytest.fixture
def mirrored(succeeded, settings, tmp_path):
    """The succeeded job with our copy of the video in storage."""
    settings.MEDIA_ROOT = tmp_path
    succeeded.video_file.save("video.mp4", ContentFile(b"\x00\x00\x00\x18ftypmp42"), save=True)
    return succeeded


@pytest.fixture
def alice_client(alice):
    client = Client()
    client.force_login(alice)
    return client


def test_hidden_result_is_no_longer_downloadable(mirrored, run_action, alice_client, funded):
    portal_url = reverse("webhooks:video", args=[mirrored.pk])
    assert alice_client.get(portal_url).status_code == 200

    run_action("hide_result", mirrored, apply="1", reason="Depicts a real person without consent.")

    generation = reload(mirrored)
    assert generation.hidden_at is not None
    assert generation.moderation_note == "Depicts a real person without consent."
    assert alice_client.get(portal_url).status_code == 404
    with pytest.raises(results.ResultNotFound):
        results.open_result(funded, mirrored.pk, "video")
    detail = alice_client.get(reverse("generations:detail", args=[mirrored.pk]))
    assert "hidden by moderation" in detail.content.decode()
    # Money is untouched: hiding is not a refund.
    assert billing.balance(funded).balance == 1000 - PRICE
    [event] = audit_events("generation.hide", mirrored)
    assert event.note == "Depicts a real person without consent."

    run_action("hide_result", mirrored, apply="1", reason="again")

    assert reload(mirrored).moderation_note == "Depicts a real person without consent."
    assert audit_events("generation.hide").count() == 1


def test_hidden_result_is_refused_by_the_api_too(mirrored, run_action, api_client):
    run_action("hide_result", mirrored, apply="1", reason="")

    body = api_client.get(f"/api/v1/generations/{mirrored.pk}").json()
    assert body["video_url"] is None
    assert api_client.get(f"/api/v1/generations/{mirrored.pk}/video").status_code == 404


def test_hide_asks_for_a_reason_first(succeeded, run_action):
    response = run_action("hide_result", succeeded)

    assert "reason" in response.content.decode()
    assert reload(succeeded).hidden_at is None
    assert audit_events("generation.hide").count() == 0


def test_flag_and_unflag_are_audited_once_each(submitted, run_action):
    run_action("flag", submitted)
    run_action("flag", submitted)
    assert reload(submitted).flagged is True

    run_action("unflag", submitted)
    run_action("unflag", submitted)
    assert reload(submitted).flagged is False

    assert list(audit_events().order_by("id").values_list("action", flat=True)) == [
        "generation.flag",
        "generation.unflag",
    ]


def test_an_action_started_on_the_detail_page_returns_there(submitted, staff_client):
    detail = reverse("admin:generations_generation_change", args=[submitted.pk])
    page = staff_client.get(detail).content.decode()
    assert 'value="cancel_and_refund"' in page
    assert 'value="approve"' not in page  # not awaiting review

    response = staff_client.post(
        reverse("admin:generations_generation_changelist"),
        {"action": "flag", "_selected_action": submitted.pk, "index": 0, "next": detail},
    )

    assert response.status_code == 302
    assert response["Location"] == detail
    assert reload(submitted).flagged is True
