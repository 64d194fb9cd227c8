"""generations 0006 + billing 0004 move each CreditHold onto its generation, and back."""

import pytest

from tests.migrations import migrate, migrated_to

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("generations", "0005_create_path_indexes"), ("billing", "0003_create_path_indexes")]
AFTER = [("generations", "0006_hold_on_generation"), ("billing", "0004_delete_credithold")]


@pytest.fixture
def old_schema():
    yield from migrated_to(BEFORE)


def test_each_hold_moves_onto_its_generation_and_back(old_schema):
    apps = old_schema
    Tenant, ApiKey = apps.get_model("accounts", "Tenant"), apps.get_model("accounts", "ApiKey")
    Generation, CreditHold = (
        apps.get_model("generations", "Generation"),
        apps.get_model("billing", "CreditHold"),
    )
    tenant = Tenant.objects.create(name="Old", slug="old")
    key = ApiKey.objects.create(tenant=tenant, name="k", prefix="0ld0ld00", key_hash="x" * 64)
    money = {"held": (10, 10, 0), "captured": (20, 0, 15), "released": (30, 0, 0)}
    for state, (quoted, held, charged) in money.items():
        generation = Generation.objects.create(
            id=f"gen_{state}", tenant=tenant, created_by_key=key, provider="sandbox", prompt=state,
            callback_token=state, quoted=quoted, held=held, charged=charged,
        )  # fmt: skip
        CreditHold.objects.create(
            generation=generation, tenant=tenant, api_key=key, amount=quoted, charged=charged, state=state
        )
    Generation.objects.create(
        id="gen_free", tenant=tenant, provider="sandbox", prompt="no hold", callback_token="f"
    )

    apps = migrate(AFTER)

    rows = apps.get_model("generations", "Generation").objects.order_by("id").values_list("id", "hold_state")
    assert list(rows) == [
        ("gen_captured", "captured"),
        ("gen_free", ""),
        ("gen_held", "held"),
        ("gen_released", "released"),
    ]

    apps = migrate(BEFORE)

    holds = apps.get_model("billing", "CreditHold").objects.order_by("amount")
    assert [(h.generation_id, h.amount, h.charged, h.state, h.api_key_id) for h in holds] == [
        ("gen_held", 10, 0, "held", key.pk),
        ("gen_captured", 20, 15, "captured", key.pk),
        ("gen_released", 30, 0, "released", key.pk),
    ]
