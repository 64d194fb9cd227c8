"""A batch of N is held all together or not at all, also when two batches race for the credits."""

import pytest

from billing import services as billing
from billing.errors import InsufficientCredits
from generations.batches import create_batch
from generations.models import Generation
from generations.spec import GenerationSpec
from tests.conftest import postgres_only
from tests.factories import fund
from tests.races import race

SPEC = GenerationSpec(prompt="A kite over a windy beach, wide shot", resolution="720p", duration=8)
UNIT = 32  # sandbox, 8 s of 720p


@pytest.mark.django_db
def test_a_batch_is_n_normal_generations_held_together(tenant, bob):
    fund(tenant, 100)
    jobs = create_batch(tenant, spec=SPEC, provider="sandbox", count=3, user=bob)
    assert [job.held for job in jobs] == [UNIT] * 3
    assert len({job.id for job in jobs}) == 3
    assert billing.balance(tenant).held == 3 * UNIT


@pytest.mark.django_db
def test_a_batch_the_credits_do_not_cover_holds_nothing_and_says_the_total(tenant, bob):
    fund(tenant, 2 * UNIT)
    with pytest.raises(InsufficientCredits) as refused:
        create_batch(tenant, spec=SPEC, provider="sandbox", count=3, user=bob)
    assert refused.value.details == {"required": 3 * UNIT, "available": 2 * UNIT, "count": 3, "unit": UNIT}
    assert not Generation.objects.exists()
    assert billing.balance(tenant).held == 0


@postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_batches_racing_for_credits_for_one_end_whole_or_not_at_all(tenant, bob):
    fund(tenant, 3 * UNIT)
    batch = lambda: create_batch(tenant, spec=SPEC, provider="sandbox", count=3, user=bob)

    _, errors = race(batch, batch)

    assert len(errors) == 1 and isinstance(errors[0], InsufficientCredits)
    assert Generation.objects.count() == 3
    assert billing.balance(tenant).held == 3 * UNIT and billing.balance(tenant).available == 0
