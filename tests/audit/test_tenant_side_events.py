"""Actions outside the staff admin that touch secrets or money leave one audit event each."""

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_rotating_the_webhook_secret_through_the_api_is_audited(api_client, api_key, tenant):
    response = api_client.post("/api/v1/webhook/rotate")
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="webhook.secret_rotate")
    assert event.tenant == tenant
    # The key acted, not a person; the secret itself is never in the log.
    assert api_key[0].name in event.actor_email
    assert response.json()["secret"] not in str(event.before) + str(event.after) + event.note


def test_rotating_from_the_portal_is_audited_with_the_user(client, alice, tenant):
    client.force_login(alice)
    response = client.post("/webhooks/rotate/")
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="webhook.secret_rotate")
    assert event.actor == alice and event.tenant == tenant


def test_grant_credits_from_the_command_line_is_audited(tenant):
    call_command("grant_credits", tenant.slug, "500", "--note", "Invoice 42", stdout=StringIO())
    event = AuditEvent.objects.get(action="credits.grant")
    assert event.tenant == tenant
    assert event.after == {"amount": 500}
    assert event.note == "Invoice 42"


def test_a_refused_grant_leaves_no_audit_event(tenant):
    with pytest.raises(Exception, match="positive"):
        call_command("grant_credits", tenant.slug, "0", stdout=StringIO())
    assert not AuditEvent.objects.exists()
