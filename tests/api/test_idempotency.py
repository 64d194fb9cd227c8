from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from billing.services import balance
from generations.api.models import IdempotencyRecord
from generations.models import Generation
from tests.api.conftest import PRICE
from tests.conftest import postgres_only
from tests.factories import fund
from tests.races import race

URL = "/api/v1/generations"
BODY = {"prompt": "A cat yawning", "duration": 8}


def create(client, body=BODY, key="order-42"):
    return client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_replay_returns_the_first_answer_and_creates_nothing(api_client, funded):
    first = create(api_client)
    again = create(api_client, body={"duration": 8, "prompt": "A cat yawning"})  # same body, other order
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Generation.objects.count() == 1
    assert balance(funded).held == PRICE


def test_the_same_key_with_another_body_is_a_conflict(api_client, funded):
    create(api_client)
    response = create(api_client, body={"prompt": "A dog barking"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_conflict"
    assert "Idempotency-Key" in response.json()["error"]["details"]
    assert Generation.objects.count() == 1


def test_keys_belong_to_one_tenant(api_client, other_api_client, funded, other_tenant):
    fund(other_tenant, 100)
    mine, theirs = create(api_client), create(other_api_client)
    assert mine.json()["id"] != theirs.json()["id"]
    assert Generation.objects.count() == 2


def test_a_refused_create_does_not_use_up_the_key(api_client, tenant):
    assert create(api_client).status_code == 402
    fund(tenant, 100)
    response = create(api_client)
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response


def test_a_key_is_free_again_after_24_hours(api_client, funded):
    first = create(api_client)
    with time_machine.travel(timezone.now() + timedelta(hours=24, seconds=1)):
        second = create(api_client, body={"prompt": "A dog barking"})
    assert second.status_code == 201
    assert second.json()["id"] != first.json()["id"]
    assert IdempotencyRecord.objects.count() == 1


def test_a_key_too_long_is_named(api_client, funded):
    response = create(api_client, key="k" * 256)
    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()["error"]["details"]


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_create_one_generation(tenant, api_key):
    fund(tenant, 1000)

    def post():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key[1]}")
        return create(client, key="race")

    responses, errors = race(*[post] * 4)

    assert errors == []
    assert [r.status_code for r in responses] == [201] * 4
    assert len({r.json()["id"] for r in responses}) == 1
    assert Generation.objects.count() == 1
    assert balance(tenant).held == PRICE


def test_the_daily_prune_deletes_only_records_past_their_lifetime(api_client, funded):
    from generations.api.idempotency import prune
    from ops.schedules import SCHEDULES

    create(api_client, key="old")
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        create(api_client, key="fresh")
        assert prune() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["fresh"]
    # The worker runs it daily (manage.py schedules creates it).
    assert ("generations.api.idempotency.prune", "D") in {(p.func, p.schedule_type) for p in SCHEDULES}
