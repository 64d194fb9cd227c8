"""Tenant controls from the admin: suspend, review every job, in-flight cap, credits with a note."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from billing import services as billing
from billing.models import LedgerEntry
from generations.lifecycle import provider_update
from generations.models import Status
from generations.providers.base import Update
from tests.factories import make_tenant
from tests.generations.conftest import PRICE, created
from tests.moderation.conftest import audit_events, page_messages, reload

TENANTS = "admin:accounts_tenant_changelist"


@pytest.fixture
def tenant_action(staff_client):
    def run(action: str, *tenants, **extra):
        data = {"action": action, "_selected_action": [t.pk for t in tenants], "index": 0, **extra}
        response = staff_client.post(reverse(TENANTS), data, follow=True)
        assert response.status_code == 200
        return response

    return run


def test_suspending_refuses_new_work_but_running_jobs_finish(
    create, fake_providers, run_queued, tenant_action, funded, api_client
):
    running = create()
    fake_providers.script(created("task-1"))
    run_queued()

    tenant_action("suspend", funded, apply="1", reason="Chargeback under review")
    tenant_action("suspend", funded, apply="1", reason="Chargeback under review")

    assert reload_tenant(funded).suspended is True
    response = api_client.post("/api/v1/generations", {"prompt": "A new idea"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "tenant_suspended"
    # The job accepted before the suspension still completes and is charged as usual.
    provider_update(running.pk, Update(state="succeeded", video_url="https://cdn.test/v.mp4"), source="test")
    run_queued()  # the outbox worker copies the video
    assert reload(running).status == Status.SUCCEEDED
    assert billing.balance(funded).balance == 1000 - PRICE
    [event] = audit_events("tenant.suspend", funded)
    assert (event.before, event.after) == ({"suspended": False}, {"suspended": True})


def test_lifting_a_suspension_lets_work_in_again(tenant_action, funded, fake_providers, api_client):
    funded.suspended = True
    funded.save()

    tenant_action("unsuspend", funded, apply="1", reason="Chargeback resolved")

    assert api_client.post("/api/v1/generations", {"prompt": "A new idea"}, format="json").status_code == 201
    [event] = audit_events("tenant.unsuspend", funded)
    assert event.note == "Chargeback resolved"
    assert reload_tenant(funded).suspension_reason == ""


def test_suspending_first_asks_for_confirmation_and_changes_nothing(tenant_action, funded):
    response = tenant_action("suspend", funded)

    page = response.content.decode()
    assert response.templates[0].name == "admin/accounts/tenant/suspension.html"
    assert "Suspend teams" in page and f"({funded.slug})" in page
    assert 'name="reason"' in page and "New generations are refused at once" in page
    assert reload_tenant(funded).suspended is False
    assert not audit_events().exists()


@pytest.mark.parametrize(
    "reason, error",
    [
        ("", "This field is required."),
        ("   ", "This field is required."),
        ("Spam\x00", "Null characters are not allowed."),
        ("x" * 501, "Ensure this value has at most 500 characters"),
    ],
)
def test_a_suspension_needs_a_reason_in_words(tenant_action, funded, reason, error):
    response = tenant_action("suspend", funded, apply="1", reason=reason)

    assert error in response.content.decode()
    assert response.templates[0].name == "admin/accounts/tenant/suspension.html"
    assert reload_tenant(funded).suspended is False
    assert not audit_events().exists()


def test_the_reason_is_audited_and_shown_to_the_team(tenant_action, funded, alice, api_client):
    tenant_action("suspend", funded, apply="1", reason="  Unpaid invoice INV-7; write to billing@  ")

    [event] = audit_events("tenant.suspend", funded)
    assert event.note == "Unpaid invoice INV-7; write to billing@"
    client = Client()
    client.force_login(alice)
    dashboard = client.get("/").content.decode()
    assert "This team is suspended" in dashboard and "Unpaid invoice INV-7; write to billing@" in dashboard
    log = client.get(reverse("audit:log")).content.decode()
    assert "Seedance support" in log and "Unpaid invoice INV-7" in log and "sam@example.org" not in log
    refused = api_client.post("/api/v1/generations", {"prompt": "A new idea"}, format="json").json()
    assert "Reason: Unpaid invoice INV-7; write to billing@." in refused["error"]["message"]


def test_suspension_is_not_a_checkbox_on_the_tenant_form(staff_client, tenant):
    url = reverse("admin:accounts_tenant_change", args=[tenant.pk])

    staff_client.post(url, _tenant_form(tenant, suspended="on"))

    assert reload_tenant(tenant).suspended is False
    assert not audit_events("tenant.suspend").exists()


def test_requiring_review_holds_the_next_jobs(tenant_action, create, funded):
    tenant_action("require_review", funded)

    assert create(prompt="Anything at all", tenant=reload_tenant(funded)).status == Status.AWAITING_REVIEW

    tenant_action("stop_review", funded)
    tenant_action("stop_review", funded)

    assert create(prompt="Anything at all", tenant=reload_tenant(funded)).status == Status.PENDING
    assert list(audit_events().order_by("id").values_list("action", flat=True)) == [
        "tenant.review_on",
        "tenant.review_off",
    ]


def _tenant_form(tenant, **changes) -> dict:
    data = {
        "name": tenant.name,
        "slug": tenant.slug,
        "created_0": tenant.created.strftime("%Y-%m-%d"),
        "created_1": tenant.created.strftime("%H:%M:%S"),
        "max_in_flight": tenant.max_in_flight or "",
        "retention_days": tenant.retention_days or "",
        "memberships-TOTAL_FORMS": 0,
        "memberships-INITIAL_FORMS": 0,
        "memberships-MIN_NUM_FORMS": 0,
        "memberships-MAX_NUM_FORMS": 1000,
    }
    if tenant.suspended:
        data["suspended"] = "on"
    if tenant.review_all:
        data["review_all"] = "on"
    data.update(changes)
    return data


def test_the_in_flight_cap_set_in_the_form_is_audited(staff_client, tenant):
    url = reverse("admin:accounts_tenant_change", args=[tenant.pk])

    response = staff_client.post(url, _tenant_form(tenant, max_in_flight=3))

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert reload_tenant(tenant).max_in_flight == 3
    [event] = audit_events("tenant.in_flight_cap", tenant)
    assert (event.before, event.after) == ({"max_in_flight": None}, {"max_in_flight": 3})

    # Saving again with no moderation change records nothing.
    staff_client.post(url, _tenant_form(reload_tenant(tenant), name="Renamed"))
    assert audit_events().count() == 1


def reload_tenant(tenant):
    return type(tenant).objects.get(pk=tenant.pk)


def _credits_form(staff_client, *tenants) -> str:
    """Open the credits form as staff do and return the once-only key it carries."""
    response = staff_client.post(
        reverse(TENANTS),
        {"action": "change_credits", "_selected_action": [t.pk for t in tenants], "index": 0},
    )
    return response.context["form"].initial["request_key"]


def test_granting_credits_moves_money_once_with_a_note(staff_client, tenant_action, tenant, books_agree):
    key = _credits_form(staff_client, tenant)
    form = {"apply": "1", "kind": "grant", "amount": "500", "note": "Welcome credits", "request_key": key}

    tenant_action("change_credits", tenant, **form)
    response = tenant_action("change_credits", tenant, **form)  # the browser resends the same form

    assert "already applied" in page_messages(response)
    assert billing.balance(tenant).balance == 500
    [entry] = LedgerEntry.objects.filter(tenant=tenant)
    assert (entry.kind, entry.amount, entry.note, entry.actor.email) == (
        "grant",
        500,
        "Welcome credits",
        "sam@example.org",
    )
    [event] = audit_events("credits.grant", tenant)
    assert (event.before["balance"], event.after["balance"], event.note) == (0, 500, "Welcome credits")
    books_agree(tenant)


def test_an_adjustment_can_take_credits_away(staff_client, tenant_action, funded, books_agree):
    key = _credits_form(staff_client, funded)

    tenant_action(
        "change_credits",
        funded,
        apply="1",
        kind="adjust",
        amount="-200",
        note="Duplicate grant",
        request_key=key,
    )

    assert billing.balance(funded).balance == 800
    assert LedgerEntry.objects.filter(tenant=funded, kind="adjustment", amount=-200).count() == 1
    assert audit_events("credits.adjust", funded).count() == 1
    books_agree(funded)


def test_an_adjustment_below_what_is_held_changes_nothing(staff_client, tenant_action, create, funded):
    create()  # holds PRICE of the 1000
    key = _credits_form(staff_client, funded)

    response = tenant_action(
        "change_credits", funded, apply="1", kind="adjust", amount="-990", note="Too much", request_key=key
    )

    assert "amount" in page_messages(response)
    assert billing.balance(funded).as_dict() == {"balance": 1000, "held": PRICE, "available": 1000 - PRICE}
    assert audit_events().count() == 0


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"kind": "grant", "amount": "100", "note": ""}, "This field is required"),
        ({"kind": "grant", "amount": "-5", "note": "x"}, "A grant must be a positive number"),
        ({"kind": "grant", "amount": "1.5", "note": "x"}, "Enter a whole number"),
    ],
)
def test_bad_credit_input_is_refused_with_the_field_named(staff_client, tenant_action, tenant, fields, error):
    key = _credits_form(staff_client, tenant)

    response = tenant_action("change_credits", tenant, apply="1", request_key=key, **fields)

    assert error in response.content.decode()
    assert billing.balance(tenant).balance == 0
    assert audit_events().count() == 0


def test_one_form_can_grant_to_several_tenants(staff_client, tenant_action, tenant, other_tenant):
    key = _credits_form(staff_client, tenant, other_tenant)

    tenant_action(
        "change_credits",
        tenant,
        other_tenant,
        apply="1",
        kind="grant",
        amount="50",
        note="Promo",
        request_key=key,
    )

    assert billing.balance(tenant).balance == 50
    assert billing.balance(other_tenant).balance == 50
    assert sorted(audit_events("credits.grant").values_list("tenant__slug", flat=True)) == sorted(
        [tenant.slug, other_tenant.slug]
    )


def test_the_tenant_list_shows_credits_and_links_to_its_generations(staff_client, funded):
    make_tenant("Empty Team")  # no credit account yet

    page = staff_client.get(reverse(TENANTS)).content.decode()

    assert "1000" in page
    assert f"?tenant={funded.slug}" in page
