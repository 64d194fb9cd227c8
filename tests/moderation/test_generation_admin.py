"""The staff generation list and detail page: columns, filters, search, bounded queries, redaction."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.admin_tools import CappedCountPaginator
from generations.models import GenerationEvent, Status
from tests.factories import make_generation
from tests.moderation.conftest import CHANGELIST

pytestmark = pytest.mark.django_db


def _list(staff_client, **params):
    response = staff_client.get(reverse(CHANGELIST), params)
    assert response.status_code == 200
    return response


def test_the_list_shows_what_staff_triage_by(staff_client, tenant):
    generation = make_generation(tenant, status=Status.RUNNING, provider="kie", held=32, quoted=32)

    page = _list(staff_client).content.decode()

    for text in [generation.pk, "Alice&#x27;s Team", "Running", "kie", "32 held", "A cat yawning"]:
        assert text in page


def test_listing_costs_the_same_queries_for_3_rows_as_for_30(staff_client, tenant, other_tenant):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            _list(staff_client)
        return len(captured)

    for _ in range(3):
        make_generation(tenant)
    few = queries()
    for n in range(27):
        make_generation(other_tenant if n % 2 else tenant, flagged=bool(n % 3))

    assert queries() == few


def test_the_count_stops_at_the_cap(staff_client, tenant, monkeypatch):
    monkeypatch.setattr(CappedCountPaginator, "cap", 4)
    for _ in range(6):
        make_generation(tenant)

    page = _list(staff_client).content.decode()

    assert "more than 4 generations" in page
    assert "6 generations" not in page


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status__exact": "failed"}, "failed-job"),
        ({"provider": "ark"}, "ark-job"),
        ({"flagged__exact": "1"}, "flagged-job"),
        ({"hidden": "yes"}, "hidden-job"),
    ],
)
def test_filters_narrow_the_list(staff_client, tenant, params, expected):
    from django.utils import timezone

    make_generation(tenant, prompt="failed-job", status=Status.FAILED)
    make_generation(tenant, prompt="ark-job", provider="ark")
    make_generation(tenant, prompt="flagged-job", flagged=True)
    make_generation(tenant, prompt="hidden-job", hidden_at=timezone.now())
    make_generation(tenant, prompt="plain-job")

    page = _list(staff_client, **params).content.decode()

    assert expected in page
    assert "plain-job" not in page


def test_the_tenant_filter_takes_a_slug(staff_client, tenant, other_tenant):
    make_generation(tenant, prompt="alice-job")
    make_generation(other_tenant, prompt="charlie-job")

    page = _list(staff_client, tenant=other_tenant.slug).content.decode()

    assert "charlie-job" in page and "alice-job" not in page
    assert f'value="{other_tenant.slug}"' in page  # the box keeps what was typed


def test_search_finds_an_id_a_provider_task_id_or_prompt_words(staff_client, tenant):
    by_id = make_generation(tenant, prompt="first")
    make_generation(tenant, prompt="second", provider_task_id="task-abc-123")
    make_generation(tenant, prompt="a red balloon over Paris")

    assert "first" in _list(staff_client, q=by_id.pk).content.decode()
    found = _list(staff_client, q="task-abc-123").content.decode()
    assert "second" in found and "first" not in found
    found = _list(staff_client, q="RED BALLOON").content.decode()
    assert "red balloon" in found and "second" not in found


def test_the_detail_page_shows_the_timeline_and_a_redacted_payload(staff_client, tenant):
    generation = make_generation(tenant, status=Status.RUNNING, provider_task_id="task-1")
    generation.provider_payload = {
        "taskId": "task-1",
        "apiKey": "sk-live-very-secret",
        "callBackUrl": f"https://example.org/callbacks/kie/{generation.callback_token}/",
        "state": "generating",
    }
    generation.save()
    GenerationEvent.record(generation, GenerationEvent.Kind.STATE, "pending → queued (submit)")

    page = staff_client.get(
        reverse("admin:generations_generation_change", args=[generation.pk])
    ).content.decode()

    assert "pending → queued (submit)" in page
    assert "generating" in page
    assert "sk-live-very-secret" not in page
    assert generation.callback_token not in page
    assert "[redacted]" in page


def test_staff_cannot_edit_or_delete_a_generation_directly(staff_client, tenant):
    generation = make_generation(tenant, status=Status.RUNNING)
    url = reverse("admin:generations_generation_change", args=[generation.pk])

    response = staff_client.post(url, {"status": "succeeded", "charged": 0})

    assert response.status_code == 403
    generation.refresh_from_db()
    assert generation.status == Status.RUNNING
    delete = reverse("admin:generations_generation_delete", args=[generation.pk])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403
    assert staff_client.get(reverse("admin:generations_generation_add")).status_code == 403
