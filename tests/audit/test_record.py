"""accounts.audit.record(): who, what, on which tenant, from where; in the caller's transaction."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.test import RequestFactory

from accounts import audit
from accounts.models import AuditEvent


def _request(**meta):
    return RequestFactory().post("/", **meta)


def test_it_records_the_actor_target_tenant_and_changes(alice, api_key):
    key, _ = api_key

    event = audit.record(
        alice,
        "api_key.revoke",
        target=key,
        before={"revoked_at": None},
        after={"revoked_at": dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)},
        request=_request(REMOTE_ADDR="203.0.113.9"),
    )

    event.refresh_from_db()
    assert (event.actor, event.actor_email, event.action) == (alice, "alice@example.org", "api_key.revoke")
    assert event.tenant == key.tenant  # taken from the target
    assert (event.target_type, event.target_id, event.target_repr) == (
        "accounts.apikey",
        str(key.pk),
        str(key),
    )
    assert event.after == {"revoked_at": "2026-11-21T12:00:00Z"}
    assert event.ip == "203.0.113.9"


def test_a_tenant_target_is_its_own_tenant(tenant):
    assert audit.record(None, "tenant.suspend", target=tenant).tenant == tenant


def test_an_api_key_actor_is_named_by_its_key(api_key):
    key, _ = api_key

    event = audit.record(key, "webhook.secret_rotate", tenant=key.tenant)

    assert event.actor is None
    assert event.actor_email == f"API key alice key ({key.display})"


def test_forwarded_for_is_ignored_unless_proxies_are_trusted(tenant, settings):
    request = _request(REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7")

    assert audit.record(None, "x", tenant=tenant, request=request).ip == "10.0.0.5"

    settings.TRUSTED_PROXY_COUNT = 1
    # The client wrote 6.6.6.6 itself; the one trusted proxy appended the address it saw.
    assert audit.record(None, "x", tenant=tenant, request=request).ip == "198.51.100.7"


def test_it_rolls_back_with_the_action_it_describes(tenant):
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record(None, "credits.grant", tenant=tenant)
        raise RuntimeError("the grant failed")

    assert not AuditEvent.objects.exists()


def test_unknown_actions_are_shown_by_their_code():
    assert audit.label_for("credits.grant") == "Credits granted"
    assert audit.label_for("something.new") == "something.new"
