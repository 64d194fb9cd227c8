import re

import pytest
from django.core import mail
from django.test import Client

from accounts.models import Invitation, Membership, Role
from tests.factories import PASSWORD


def membership(tenant, user):
    return Membership.objects.get(tenant=tenant, user=user)


def test_owner_sees_the_team(as_alice):
    page = as_alice.get("/team/").content.decode()
    for email in ("alice@example.org", "bob@example.org", "vera@example.org"):
        assert email in page
    assert "charlie" not in page


@pytest.mark.parametrize("who", ["as_bob", "as_vera"])
def test_members_and_viewers_cannot_manage_the_team(request, who, tenant, vera):
    client = request.getfixturevalue(who)
    assert client.get("/team/").status_code == 403
    assert client.post("/team/invite/", {"email": "x@example.org", "role": "member"}).status_code == 403
    target = membership(tenant, vera)
    assert client.post(f"/team/members/{target.id}/role/", {"role": "admin"}).status_code == 403
    assert client.post(f"/team/members/{target.id}/remove/").status_code == 403
    assert not Invitation.objects.exists()
    assert membership(tenant, vera).role == Role.VIEWER


def test_invite_by_email_link_and_accept_it_with_a_new_account(as_alice, client, tenant):
    response = as_alice.post("/team/invite/", {"email": "New@Example.org", "role": "member"})
    assert response.status_code == 302
    assert mail.outbox[0].to == ["new@example.org"]
    link = re.search(r"http://testserver(/accounts/invitations/\S+/)", mail.outbox[0].body).group(1)
    landing = client.get(link).content.decode()
    assert "Join Alice&#x27;s Team" in landing
    token = link.rstrip("/").rsplit("/", 1)[1]
    signup = client.post(
        f"/accounts/signup/?invite={token}", {"invite": token, "password1": PASSWORD, "password2": PASSWORD}
    )
    assert signup.status_code == 302
    new = Membership.objects.get(user__email="new@example.org")
    assert (new.tenant, new.role) == (tenant, Role.MEMBER)
    # Joined the inviting team; no team of their own was made.
    assert Membership.objects.filter(user__email="new@example.org").count() == 1
    assert not Invitation.objects.get().is_open


def test_an_existing_user_accepts_an_invitation(as_charlie, charlie, tenant, alice):
    invitation = Invitation.objects.create(
        tenant=tenant, email=charlie.email, role=Role.VIEWER, invited_by=alice
    )
    response = as_charlie.post(f"/accounts/invitations/{invitation.token}/")
    assert response.status_code == 302
    assert membership(tenant, charlie).role == Role.VIEWER


def test_an_invitation_cannot_be_used_by_someone_else(as_charlie, charlie, tenant):
    invitation = Invitation.objects.create(tenant=tenant, email="someone@example.org")
    response = as_charlie.post(f"/accounts/invitations/{invitation.token}/")
    assert response.status_code == 403
    assert not Membership.objects.filter(tenant=tenant, user=charlie).exists()


def test_a_used_invitation_is_closed(client, tenant):
    invitation = Invitation.objects.create(tenant=tenant, email="late@example.org")
    invitation.accepted_at = invitation.created
    invitation.save()
    assert client.get(f"/accounts/invitations/{invitation.token}/").status_code == 410


def test_inviting_a_member_again_is_refused_next_to_the_email(as_alice):
    response = as_alice.post("/team/invite/", {"email": "bob@example.org", "role": "member"})
    assert response.status_code == 422
    assert "already in the team" in response.content.decode()


def test_only_owners_hand_out_the_owner_role(client_for, tenant, bob, vera):
    Membership.objects.filter(tenant=tenant, user=bob).update(role=Role.ADMIN)
    as_admin = client_for(bob)
    as_admin.post("/team/invite/", {"email": "boss@example.org", "role": "owner"})
    assert not Invitation.objects.exists()
    target = membership(tenant, vera)
    as_admin.post(f"/team/members/{target.id}/role/", {"role": "owner"})
    assert membership(tenant, vera).role == Role.VIEWER


def test_owner_changes_a_role(as_alice, tenant, vera):
    target = membership(tenant, vera)
    as_alice.post(f"/team/members/{target.id}/role/", {"role": "member"})
    assert membership(tenant, vera).role == Role.MEMBER


def test_the_last_owner_cannot_be_demoted_or_removed(as_alice, tenant, alice):
    own = membership(tenant, alice)
    response = as_alice.post(f"/team/members/{own.id}/role/", {"role": "admin"}, follow=True)
    assert "at least one owner" in response.content.decode()
    as_alice.post(f"/team/members/{own.id}/remove/")
    assert membership(tenant, alice).role == Role.OWNER


def test_an_owner_can_step_down_once_there_is_another_owner(as_alice, tenant, alice, bob):
    as_alice.post(f"/team/members/{membership(tenant, bob).id}/role/", {"role": "owner"})
    as_alice.post(f"/team/members/{membership(tenant, alice).id}/role/", {"role": "member"})
    assert membership(tenant, alice).role == Role.MEMBER


def test_admin_cannot_remove_an_owner(client_for, tenant, alice, bob):
    Membership.objects.filter(tenant=tenant, user=bob).update(role=Role.ADMIN)
    client_for(bob).post(f"/team/members/{membership(tenant, alice).id}/remove/")
    assert Membership.objects.filter(tenant=tenant, user=alice).exists()


def test_owner_removes_a_member(as_alice, tenant, vera):
    as_alice.post(f"/team/members/{membership(tenant, vera).id}/remove/")
    assert not Membership.objects.filter(tenant=tenant, user=vera).exists()


def test_another_teams_member_is_a_404(as_charlie, tenant, vera):
    target = membership(tenant, vera)
    assert as_charlie.post(f"/team/members/{target.id}/remove/").status_code == 404
    assert as_charlie.post(f"/team/members/{target.id}/role/", {"role": "owner"}).status_code == 404
    assert membership(tenant, vera).role == Role.VIEWER


def test_cancel_an_invitation(as_alice, as_charlie, tenant):
    invitation = Invitation.objects.create(tenant=tenant, email="maybe@example.org")
    assert as_charlie.post(f"/team/invitations/{invitation.id}/cancel/").status_code == 404
    as_alice.post(f"/team/invitations/{invitation.id}/cancel/")
    assert not Invitation.objects.exists()


def test_accepting_an_invitation_is_in_the_audit_log(as_charlie, charlie, tenant, alice):
    from accounts.models import AuditEvent

    invitation = Invitation.objects.create(
        tenant=tenant, email=charlie.email, role=Role.MEMBER, invited_by=alice
    )
    as_charlie.post(f"/accounts/invitations/{invitation.token}/")
    event = AuditEvent.objects.get(action="member.join")
    assert (event.tenant, event.actor, event.after["role"]) == (tenant, charlie, "member")
    # A second post of the same link changes nothing and records nothing more.
    as_charlie.post(f"/accounts/invitations/{invitation.token}/")
    assert AuditEvent.objects.filter(action="member.join").count() == 1
    log = Client()
    log.force_login(alice)
    assert "Invitation accepted" in log.get("/audit/").content.decode()


def test_inviting_the_same_address_twice_keeps_one_invitation(as_alice, tenant):
    as_alice.post("/team/invite/", {"email": "twice@example.org", "role": "viewer"})
    first = Invitation.objects.get(tenant=tenant)
    response = as_alice.post("/team/invite/", {"email": "Twice@Example.org", "role": "member"}, follow=True)
    again = Invitation.objects.get(tenant=tenant)  # still exactly one
    assert (again.pk, again.token, again.role) == (first.pk, first.token, "member")
    assert "again" in response.content.decode()
    assert len(mail.outbox) == 2


def test_the_database_refuses_a_second_open_invitation(tenant):
    from django.db import IntegrityError, transaction

    Invitation.objects.create(tenant=tenant, email="dup@example.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        Invitation.objects.create(tenant=tenant, email="DUP@example.org")


def test_owner_renames_the_team_and_it_is_audited(as_alice, as_vera, tenant):
    from accounts.models import AuditEvent

    response = as_alice.post("/team/rename/", {"name": "  Northwind Films "}, follow=True)
    tenant.refresh_from_db()
    assert tenant.name == "Northwind Films"
    assert "The team is now called Northwind Films." in response.content.decode()
    event = AuditEvent.objects.get(action="team.rename")
    assert (event.before, event.after) == ({"name": "Alice's Team"}, {"name": "Northwind Films"})
    assert as_alice.post("/team/rename/", {"name": "   "}).status_code == 302
    tenant.refresh_from_db()
    assert tenant.name == "Northwind Films"
    assert as_vera.post("/team/rename/", {"name": "Mine now"}).status_code == 403
