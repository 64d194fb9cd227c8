"""Pre-moderation: term lists and the "review every job" flag hold jobs; staff approve or reject them."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from accounts.models import ModerationTerm
from billing import services as billing
from generations.models import Generation, Status
from tests.generations.conftest import PRICE, created
from tests.moderation.conftest import REVIEW_QUEUE, audit_events, page_messages, reload


@pytest.fixture
def held(create, settings):
    """Make a job that waits in awaiting_review (its prompt matches a review term)."""
    settings.MODERATION_REVIEW_TERMS = ["volcano"]

    def make(prompt="A volcano erupting at night"):
        generation = create(prompt=prompt)
        assert generation.status == Status.AWAITING_REVIEW
        return generation

    return make


def test_queue_lists_only_jobs_awaiting_review_oldest_first(held, create, staff_client):
    with time_machine.travel("2026-11-20 10:00", tick=False):
        older = held("An old volcano")
    with time_machine.travel("2026-11-21 10:00", tick=False):
        newer = held("A new volcano")
    other = create(prompt="A quiet meadow")

    page = staff_client.get(reverse(REVIEW_QUEUE)).content.decode()

    assert page.index(older.pk) < page.index(newer.pk)
    assert other.pk not in page
    assert "Review queue" in page


def test_approve_submits_the_job(held, fake_providers, run_action, run_queued, funded):
    generation = held()
    assert billing.balance(funded).held == PRICE  # credits are held while it waits

    run_action("approve", generation, url=REVIEW_QUEUE)

    assert reload(generation).status == Status.PENDING
    fake_providers.script(created("task-9"))
    run_queued()  # the poller submits the approved job, as a worker runs it
    generation = reload(generation)
    assert (generation.status, generation.provider_task_id) == (Status.QUEUED, "task-9")
    assert billing.balance(funded).held == PRICE
    [event] = audit_events("generation.approve", generation)
    assert (event.before["status"], event.after["status"]) == ("awaiting_review", "pending")

    response = run_action("approve", generation, url=REVIEW_QUEUE)

    assert "unchanged" in page_messages(response)
    assert reload(generation).status == Status.QUEUED
    assert audit_events().count() == 1


def test_reject_releases_the_credits_and_tells_the_tenant_why(
    held, run_action, funded, api_client, books_agree
):
    generation = held()

    run_action("reject", generation, url=REVIEW_QUEUE, apply="1", reason="Violent content is not allowed.")

    generation = reload(generation)
    assert generation.status == Status.REJECTED
    assert billing.balance(funded).as_dict() == {"balance": 1000, "held": 0, "available": 1000}
    body = api_client.get(f"/api/v1/generations/{generation.pk}").json()
    assert body["status"] == "rejected"
    assert body["error"]["message"] == "Violent content is not allowed."
    [event] = audit_events("generation.reject", generation)
    assert event.note == "Violent content is not allowed."

    run_action("reject", generation, url=REVIEW_QUEUE, apply="1", reason="Twice")

    assert reload(generation).moderation_note == "Violent content is not allowed."
    assert audit_events().count() == 1
    books_agree(funded)


def test_reject_needs_a_reason(held, run_action, funded):
    generation = held()

    response = run_action("reject", generation, url=REVIEW_QUEUE, apply="1", reason="  ")

    assert "This field is required" in response.content.decode()
    assert reload(generation).status == Status.AWAITING_REVIEW
    assert billing.balance(funded).held == PRICE
    assert audit_events().count() == 0


def test_the_queue_offers_only_review_actions(held, staff_client):
    held()

    page = staff_client.get(reverse(REVIEW_QUEUE)).content.decode()

    assert 'value="approve"' in page and 'value="reject"' in page
    assert 'value="retry_submission"' not in page


def test_a_blocked_term_from_settings_refuses_the_create(api_client, funded, fake_providers, settings):
    settings.MODERATION_BLOCKED_TERMS = ["forbidden thing"]

    response = api_client.post(
        "/api/v1/generations", {"prompt": "Show the FORBIDDEN thing now"}, format="json"
    )

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "prompt_blocked"
    assert "prompt" in response.json()["error"]["details"]
    assert not Generation.objects.exists()
    assert billing.balance(funded).as_dict() == {"balance": 1000, "held": 0, "available": 1000}


def test_a_blocked_term_added_in_admin_refuses_the_create(staff_client, api_client, funded, fake_providers):
    response = staff_client.post(
        reverse("admin:accounts_moderationterm_add"),
        {"term": "  Dragon  Fire ", "kind": "block", "active": "on"},
    )
    assert response.status_code == 302
    assert ModerationTerm.objects.get().term == "dragon fire"
    [event] = audit_events("moderation_term.add")
    assert event.after["term"] == "dragon fire"

    response = api_client.post("/api/v1/generations", {"prompt": "A dragon fire show"}, format="json")

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "prompt_blocked"
    assert not Generation.objects.exists()


def test_a_review_term_from_admin_holds_the_job_with_its_credits(api_client, funded, fake_providers):
    ModerationTerm.objects.create(term="Election", kind=ModerationTerm.Kind.REVIEW)

    response = api_client.post("/api/v1/generations", {"prompt": "An election night crowd"}, format="json")

    assert response.status_code == 201
    assert response.json()["status"] == "awaiting_review"
    assert billing.balance(funded).held == PRICE


def test_an_inactive_term_does_not_apply(api_client, funded, fake_providers):
    ModerationTerm.objects.create(term="dragon", kind=ModerationTerm.Kind.BLOCK, active=False)

    response = api_client.post("/api/v1/generations", {"prompt": "A dragon in the clouds"}, format="json")

    assert response.status_code == 201
    assert response.json()["status"] == "pending"


def test_a_tenant_that_requires_review_has_every_job_held(create, funded):
    funded.review_all = True
    funded.save()

    assert create(prompt="A quiet meadow").status == Status.AWAITING_REVIEW
