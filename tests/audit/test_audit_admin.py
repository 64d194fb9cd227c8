"""The audit log in the admin: staff filter it; nobody can add, change or delete an event."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts import audit
from accounts.models import AuditEvent
from tests.factories import make_user

LIST = "admin:accounts_auditevent_changelist"


@pytest.fixture
def staff_client(db):
    client = Client()
    client.force_login(make_user("sam@example.org", is_staff=True, is_superuser=True))
    return client


def test_staff_filter_the_log_by_action_and_tenant(staff_client, tenant, other_tenant):
    audit.record(None, "credits.grant", tenant=tenant, note="grant-for-alice")
    audit.record(None, "tenant.suspend", target=other_tenant, note="suspend-charlie")
    audit.record(None, "credits.grant", tenant=other_tenant, note="grant-for-charlie")

    by_action = staff_client.get(reverse(LIST), {"action": "credits.grant"}).content.decode()
    by_tenant = staff_client.get(reverse(LIST), {"tenant": other_tenant.slug}).content.decode()

    assert "grant-for-alice" in by_action and "grant-for-charlie" in by_action
    assert "suspend-charlie" not in by_action
    assert "suspend-charlie" in by_tenant and "grant-for-charlie" in by_tenant
    assert "grant-for-alice" not in by_tenant


def test_events_cannot_be_added_changed_or_deleted(staff_client, tenant):
    event = audit.record(None, "credits.grant", tenant=tenant, note="original")

    assert staff_client.get(reverse("admin:accounts_auditevent_add")).status_code == 403
    staff_client.post(reverse("admin:accounts_auditevent_change", args=[event.pk]), {"note": "edited"})
    deleted = staff_client.post(reverse("admin:accounts_auditevent_delete", args=[event.pk]), {"post": "yes"})

    assert deleted.status_code == 403
    assert AuditEvent.objects.get().note == "original"
