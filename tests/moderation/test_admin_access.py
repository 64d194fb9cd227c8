"""Only staff reach the admin; a logged-in customer, even a tenant owner, gets nothing from it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent
from generations.models import Status
from tests.factories import make_generation, make_user
from tests.moderation.conftest import REVIEW_QUEUE, reload

ADMIN_PAGES = [
    "admin:index",
    "admin:generations_generation_changelist",
    REVIEW_QUEUE,
    "admin:accounts_tenant_changelist",
    "admin:accounts_auditevent_changelist",
    "admin:accounts_moderationterm_changelist",
]


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_a_tenant_owner_who_is_not_staff_is_sent_to_the_admin_login(alice, tenant, name):
    client = Client()
    client.force_login(alice)

    response = client.get(reverse(name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_anonymous_visitors_are_sent_to_the_admin_login(client, db, name):
    response = client.get(reverse(name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_a_non_staff_user_cannot_run_an_action(alice, tenant):
    generation = make_generation(tenant, status=Status.RUNNING)
    client = Client()
    client.force_login(alice)

    client.post(
        reverse("admin:generations_generation_changelist"),
        {"action": "cancel_and_refund", "_selected_action": generation.pk, "index": 0},
    )

    assert reload(generation).status == Status.RUNNING
    assert not AuditEvent.objects.exists()


def test_staff_with_view_permission_only_can_look_but_not_act(db, tenant):
    viewer = make_user("intern@example.org", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_generation"))
    generation = make_generation(tenant, status=Status.RUNNING)
    client = Client()
    client.force_login(viewer)

    page = client.get(reverse("admin:generations_generation_changelist")).content.decode()
    client.post(
        reverse("admin:generations_generation_changelist"),
        {"action": "cancel_and_refund", "_selected_action": generation.pk, "index": 0},
    )

    assert generation.pk in page
    assert 'value="cancel_and_refund"' not in page
    assert reload(generation).status == Status.RUNNING
    assert not AuditEvent.objects.exists()
