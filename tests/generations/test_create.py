import pytest
from django.utils import timezone
from django_q.models import OrmQ

from billing.errors import InsufficientCredits
from billing.services import balance
from generations import tasks
from generations.models import Generation, GenerationEvent, Status
from generations.moderation import PromptBlocked
from generations.services import create_generation
from generations.spec import GenerationSpec, SpecError
from tests.generations.conftest import PRICE


def test_it_holds_the_quote_and_the_next_sweep_submits_it(create, funded, queued):
    generation = create(duration=8, resolution="720p")  # and one sweep of the poller

    assert generation.status == Status.PENDING
    assert (generation.provider, generation.requested_provider) == ("alpha", "auto")
    assert (generation.quoted, generation.held, generation.charged) == (PRICE, PRICE, 0)
    assert balance(funded).available == 1000 - PRICE
    assert queued == [("submit_generation", generation.id)]
    assert generation.deadline is not None
    assert generation.hold_state == "held"
    # The creation is on the row, not stored as an event; the timeline draws it from the row.
    assert not GenerationEvent.objects.filter(generation=generation).exists()
    [created] = generation.timeline()
    assert created.at == generation.created_at
    assert created.message == f"Created by system, asking for auto: {PRICE} credits held"


def test_the_create_queues_no_task_the_job_is_due_for_the_poller_at_once(funded, fake_providers, queued):
    generation = create_generation(funded, spec=GenerationSpec(prompt="A cat yawning"))

    # The row is its own outbox: nothing is queued, so a rolled-back create leaves no task behind.
    assert queued == [] and OrmQ.objects.count() == 0
    assert generation.next_poll_at <= timezone.now()

    assert tasks.poll_due() == 1
    assert queued == [("submit_generation", generation.id)]


def test_insufficient_credits_writes_nothing(tenant, fake_providers, queued):
    with pytest.raises(InsufficientCredits):
        create_generation(tenant, spec=GenerationSpec(prompt="A cat yawning"))

    assert not Generation.objects.exists()
    assert queued == []


def test_a_suspended_tenant_is_refused(funded, fake_providers):
    funded.suspended = True
    funded.save()

    with pytest.raises(Exception) as info:
        create_generation(funded, spec=GenerationSpec(prompt="A cat yawning"))

    assert (info.value.code, info.value.http_status) == ("tenant_suspended", 403)
    assert not Generation.objects.exists()


def test_a_bad_spec_names_the_field_and_writes_nothing(funded, fake_providers):
    with pytest.raises(SpecError) as info:
        create_generation(funded, spec=GenerationSpec(prompt="A cat yawning", duration=30))

    assert "duration" in info.value.details
    assert not Generation.objects.exists()
    assert balance(funded).held == 0


def test_a_blocked_prompt_is_refused(funded, fake_providers, settings):
    settings.MODERATION_BLOCKED_TERMS = ["forbidden thing"]

    with pytest.raises(PromptBlocked) as info:
        create_generation(funded, spec=GenerationSpec(prompt="A FORBIDDEN Thing at dawn"))

    assert info.value.http_status == 422
    assert "prompt" in info.value.details
    assert not Generation.objects.exists()


def test_a_review_term_holds_the_job_for_review(create, funded, settings, queued):
    settings.MODERATION_REVIEW_TERMS = ["celebrity"]

    generation = create(prompt="A celebrity waving")

    assert generation.status == Status.AWAITING_REVIEW
    assert generation.held == PRICE
    assert queued == []


def test_a_tenant_under_review_waits_for_every_job(create, funded, queued):
    funded.review_all = True
    funded.save()

    assert create().status == Status.AWAITING_REVIEW
    assert queued == []
