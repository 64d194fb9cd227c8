"""Concurrent API creates racing to a tenant's last credits: exactly the affordable ones win."""

import pytest
from rest_framework.test import APIClient

from billing import services as billing
from generations import tasks
from generations.models import Generation
from tests.races import race
from tests.reliability.conftest import assert_nothing_lost, funded, reliability

pytestmark = reliability

PRICE = 32  # 8 s at 720p without audio


@pytest.fixture
def post_create(api_key):
    def post():
        client = APIClient(HTTP_HOST="127.0.0.1")
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key[1]}")
        body = {"prompt": "A cat yawning at the camera", "provider": "sandbox", "duration": 8}
        response = client.post("/api/v1/generations", body, format="json")
        return response.status_code, response.json()

    return post


def test_only_the_affordable_creates_win_the_race(customer, post_create, no_background):
    funded(customer, 5 * PRICE)

    results, errors = race(*[post_create for _ in range(12)])

    assert errors == []
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] * 5 + [402] * 7
    refusals = [body for status, body in results if status == 402]
    assert {body["error"]["code"] for body in refusals} == {"insufficient_credits"}
    assert Generation.objects.for_tenant(customer).count() == 5
    assert billing.balance(customer).as_dict() == {"balance": 5 * PRICE, "held": 5 * PRICE, "available": 0}
    # The poller's sweep queues each winner's submission once; no loser left anything behind.
    assert tasks.poll_due() == 5
    submits = [args for func, *args in no_background if func.endswith("submit_generation")]
    assert sorted(a[0] for a in submits) == sorted(Generation.objects.values_list("id", flat=True))
    assert_nothing_lost(customer)
