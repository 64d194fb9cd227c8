"""Key and member changes made in the portal each leave one audit event, with who and what."""

import pytest

from accounts.models import ApiKey, AuditEvent, Invitation, Membership, Role
from tests.factories import post_key_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_client(client, alice, tenant):
    client.force_login(alice)
    return client


def test_creating_and_revoking_a_key_is_audited_without_the_secret(owner_client, alice, tenant):
    response = post_key_form(owner_client, {"name": "deploy bot"})
    assert response.status_code == 200
    key = ApiKey.objects.get(name="deploy bot")
    created = AuditEvent.objects.get(action="api_key.create")
    assert created.actor == alice and created.tenant == tenant and created.target_id == str(key.pk)
    assert created.after["name"] == "deploy bot"
    assert response.context["secret"] not in str(created.after)

    owner_client.post(f"/keys/{key.pk}/revoke/")
    owner_client.post(f"/keys/{key.pk}/revoke/")  # a second click changes nothing
    assert AuditEvent.objects.filter(action="api_key.revoke", target_id=str(key.pk)).count() == 1


def test_inviting_changing_a_role_and_removing_a_member_are_audited(owner_client, tenant, bob):
    owner_client.post("/team/invite/", {"email": "newbie@example.org", "role": "member"})
    invited = AuditEvent.objects.get(action="member.invite")
    assert invited.after == {"email": "newbie@example.org", "role": "member"}
    assert Invitation.objects.filter(email="newbie@example.org").exists()

    membership = Membership.objects.get(tenant=tenant, user=bob)
    owner_client.post(f"/team/members/{membership.pk}/role/", {"role": "admin"})
    changed = AuditEvent.objects.get(action="member.role_change")
    assert changed.before["role"] == Role.MEMBER and changed.after["role"] == Role.ADMIN

    owner_client.post(f"/team/members/{membership.pk}/remove/", {"confirm": "on"})
    removed = AuditEvent.objects.get(action="member.remove")
    assert removed.before["email"] == "bob@example.org"
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_a_refused_role_change_leaves_no_event(client, bob, tenant, alice):
    # bob is a member: he may not manage members at all.
    client.force_login(bob)
    membership = Membership.objects.get(tenant=tenant, user=alice)
    client.post(f"/team/members/{membership.pk}/role/", {"role": "viewer"})
    assert not AuditEvent.objects.exists()
    assert Membership.objects.get(pk=membership.pk).role == Role.OWNER
