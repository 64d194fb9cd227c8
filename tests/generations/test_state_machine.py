"""Every (status, update) pair: the status it leads to and what happens to the held credits."""

import pytest

from billing import services as billing
from billing.models import CreditAccount
from generations.models import GenerationEvent, Status
from generations.providers.base import Update
from generations.services import apply_update
from generations.signals import generation_changed
from tests.factories import make_generation
from tests.generations.conftest import PRICE

S = Status
UPDATES = ["pending", "queued", "running", "succeeded", "failed", "cancelled", "expired", "rejected"]
CAPTURE, RELEASE, NONE = "capture", "release", None

# (status, update) -> (resulting status, money movement). Pairs not listed change nothing.
MOVES = {
    (S.AWAITING_REVIEW, "pending"): (S.PENDING, NONE),
    (S.AWAITING_REVIEW, "cancelled"): (S.CANCELLED, RELEASE),
    (S.AWAITING_REVIEW, "expired"): (S.EXPIRED, RELEASE),
    (S.AWAITING_REVIEW, "rejected"): (S.REJECTED, RELEASE),
    (S.PENDING, "queued"): (S.QUEUED, NONE),
    (S.PENDING, "running"): (S.RUNNING, NONE),
    (S.PENDING, "succeeded"): (S.SUCCEEDED, CAPTURE),
    (S.PENDING, "failed"): (S.FAILED, RELEASE),
    (S.PENDING, "cancelled"): (S.CANCELLED, RELEASE),
    (S.PENDING, "expired"): (S.EXPIRED, RELEASE),
    (S.QUEUED, "running"): (S.RUNNING, NONE),
    (S.QUEUED, "succeeded"): (S.SUCCEEDED, CAPTURE),
    (S.QUEUED, "failed"): (S.FAILED, RELEASE),
    (S.QUEUED, "cancelled"): (S.CANCELLED, RELEASE),
    (S.QUEUED, "expired"): (S.EXPIRED, RELEASE),
    (S.RUNNING, "succeeded"): (S.SUCCEEDED, CAPTURE),
    (S.RUNNING, "failed"): (S.FAILED, RELEASE),
    (S.RUNNING, "cancelled"): (S.CANCELLED, RELEASE),
    (S.RUNNING, "expired"): (S.EXPIRED, RELEASE),
}
PAIRS = [(status, update) for status in Status for update in UPDATES]


def _money(tenant):
    account = CreditAccount.objects.get(tenant=tenant)
    return account.balance, account.held


@pytest.mark.parametrize(("status", "update"), PAIRS, ids=[f"{s.value}+{u}" for s, u in PAIRS])
def test_transition(funded, status, update):
    generation = make_generation(funded, hold=PRICE, status=status, provider="alpha")
    # A job that already finished has already settled its credits.
    if status == S.SUCCEEDED:
        billing.capture(generation)
    elif status in (S.FAILED, S.CANCELLED, S.EXPIRED, S.REJECTED):
        billing.release(generation)
    before = _money(funded)
    hold_before = generation.hold_state
    changes = []
    generation_changed.connect(
        lambda **kw: changes.append(kw["previous_status"]), weak=False, dispatch_uid="t"
    )
    try:
        result = apply_update(
            generation.id, Update(state=update, video_url="https://cdn.test/v.mp4"), source="test"
        )
    finally:
        generation_changed.disconnect(dispatch_uid="t")

    expected_status, money = MOVES.get((status, update), (status, NONE))
    assert result.status == expected_status
    balance, held = _money(funded)
    if money == CAPTURE:
        assert (balance, held) == (before[0] - PRICE, before[1] - PRICE)
        assert result.charged == PRICE
    elif money == RELEASE:
        assert (balance, held) == (before[0], before[1] - PRICE)
        assert result.charged == 0
    else:
        assert (balance, held) == before
        assert result.hold_state == hold_before
    moved = (status, update) in MOVES
    assert changes == ([status] if moved else [])
    assert GenerationEvent.objects.filter(generation=generation, kind="state").exists() == moved


def test_a_success_without_a_video_fails_and_releases(funded):
    generation = make_generation(funded, hold=PRICE, status=S.RUNNING, provider="alpha")

    result = apply_update(generation.id, Update(state="succeeded"), source="poll")

    assert result.status == S.FAILED
    assert result.error_code == "no_video"
    assert _money(funded) == (1000, 0)


def test_a_terminal_update_records_the_result_and_the_finish_time(funded):
    generation = make_generation(funded, hold=PRICE, status=S.RUNNING, provider="alpha")

    result = apply_update(
        generation.id,
        Update(
            state="succeeded", video_url="https://cdn.test/v.mp4", last_frame_url="https://cdn.test/f.png"
        ),
        source="poll",
    )

    assert (result.video_url, result.last_frame_url) == ("https://cdn.test/v.mp4", "https://cdn.test/f.png")
    assert result.finished_at is not None
    assert result.next_poll_at is None
