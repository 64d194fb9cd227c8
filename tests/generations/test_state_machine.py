"""The transition table drives every named wrapper: each (stage, wrapper) pair either makes the
move the table allows, with its money movement and one change row, or raises and changes nothing."""

import pytest

from billing.models import CreditAccount
from generations import holds, lifecycle
from generations.lifecycle import TRANSITIONS, InvalidTransition
from generations.models import (
    FINISHING,
    TERMINAL,
    Generation,
    GenerationChange,
    GenerationEvent,
    Mirror,
    Status,
)
from generations.providers.base import Update
from tests.factories import make_generation
from tests.generations.conftest import PRICE

S = Status
STAGES = [*Status, FINISHING]
VIDEO = "https://cdn.test/v.mp4"


def provider_says(state):
    return lambda g: lifecycle.provider_update(g.id, Update(state=state, video_url=VIDEO), source="test")


# wrapper name -> (the stage it asks for, how to call it)
WRAPPERS = {
    "provider_update(queued)": (S.QUEUED, provider_says("queued")),
    "provider_update(running)": (S.RUNNING, provider_says("running")),
    "provider_update(succeeded)": (FINISHING, provider_says("succeeded")),
    "provider_update(failed)": (S.FAILED, provider_says("failed")),
    "provider_update(cancelled)": (S.CANCELLED, provider_says("cancelled")),
    "provider_update(expired)": (S.EXPIRED, provider_says("expired")),
    "result_copied": (S.SUCCEEDED, lambda g: lifecycle.result_copied(g.id)),
    "result_lost": (S.FAILED, lambda g: lifecycle.result_lost(g.id, "gone")),
    "expire": (S.EXPIRED, lambda g: lifecycle.expire(g.id)),
    "cancel": (S.CANCELLED, lambda g: lifecycle.cancel(g)),
    "approve": (S.PENDING, lambda g: lifecycle.approve(g, "staff")),
    "reject": (S.REJECTED, lambda g: lifecycle.reject(g, "staff", "no")),
}
# Wrappers for which asking for the stage a job is already at is a refusal, not a repeat.
NO_REPEAT = {"approve", "reject"}
# Their caller's precondition: once the provider delivered (finishing), its word changes nothing.
IGNORED = {(FINISHING, name) for name in WRAPPERS if name.startswith("provider_update")}
PAIRS = [(stage, name) for stage in STAGES for name in WRAPPERS]


def _money(tenant):
    account = CreditAccount.objects.get(tenant=tenant)
    return account.balance, account.held


def _at_stage(tenant, stage):
    status = S.RUNNING if stage == FINISHING else stage
    generation = make_generation(
        tenant,
        hold=PRICE,
        status=status,
        provider="alpha",
        mirror_state=Mirror.COPYING if stage == FINISHING else Mirror.NONE,
        video_file="results/copied.mp4",  # result_copied's precondition: our copy exists
    )
    # A job that already finished has already settled its credits.
    if status == S.SUCCEEDED:
        holds.capture(generation)
    elif status in TERMINAL:
        holds.release(generation)
    return Generation.objects.get(pk=generation.pk)


@pytest.mark.parametrize(("stage", "wrapper"), PAIRS, ids=[f"{s}+{w}" for s, w in PAIRS])
def test_the_table_decides(funded, fake_providers, stage, wrapper):
    fake_providers.add("alpha", cancel=False)
    target, call = WRAPPERS[wrapper]
    generation = _at_stage(funded, stage)
    before, hold_before = _money(funded), generation.hold_state

    allowed = target in TRANSITIONS.get(stage, ()) and (stage, wrapper) not in IGNORED
    repeat = (stage == target and wrapper not in NO_REPEAT) or (stage, wrapper) in IGNORED
    if allowed or repeat:
        result = call(generation)
    else:
        with pytest.raises(InvalidTransition):
            call(generation)
        result = Generation.objects.get(pk=generation.pk)

    assert result.stage == (target if allowed else stage)
    balance, held = _money(funded)
    if allowed and target == S.SUCCEEDED:
        assert (balance, held) == (before[0] - PRICE, before[1] - PRICE)
        assert result.charged == PRICE
    elif allowed and target in TERMINAL:
        assert (balance, held) == (before[0], before[1] - PRICE)
        assert result.charged == 0
    else:
        assert (balance, held) == before
        assert result.hold_state == hold_before
    moved = GenerationChange.objects.filter(generation=generation)
    assert list(moved.values_list("from_stage", "to_stage")) == ([(stage, target)] if allowed else [])
    assert GenerationEvent.objects.filter(generation=generation, kind="state").exists() == allowed


def test_a_success_without_a_video_fails_and_releases(funded):
    generation = make_generation(funded, hold=PRICE, status=S.RUNNING, provider="alpha")

    result = lifecycle.provider_update(generation.id, Update(state="succeeded"), source="poll")

    assert result.status == S.FAILED
    assert result.error_code == "no_video"
    assert _money(funded) == (1000, 0)


def test_a_provider_success_is_finishing_until_the_copy_exists(funded):
    generation = make_generation(funded, hold=PRICE, status=S.RUNNING, provider="alpha")

    result = lifecycle.provider_update(
        generation.id,
        Update(state="succeeded", video_url=VIDEO, last_frame_url="https://cdn.test/f.png", duration_s=8),
        source="poll",
    )

    assert (result.status, result.stage, result.mirror_state) == (S.RUNNING, FINISHING, Mirror.COPYING)
    assert (result.video_url, result.last_frame_url) == (VIDEO, "https://cdn.test/f.png")
    assert (result.result_source, result.actual_duration) == ("poll", 8)
    assert result.result_at is not None and result.finished_at is None
    assert result.next_poll_at is None
    assert _money(funded) == (1000, PRICE)  # nothing charged before the video is ours
