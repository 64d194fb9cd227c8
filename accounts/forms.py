"""Portal forms for accounts: sign up, teams, API keys, invitations and roles.

Team rules live here, in the forms that change memberships, so the web page and any later
surface that reuses these forms apply the same checks:
- only an owner may grant the owner role or change or remove another owner;
- a team always keeps at least one owner.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.db import transaction
from django.utils import timezone

from accounts import audit
from accounts.models import ApiKey, Invitation, Membership, Role, Tenant, User
from seedance_site import validators


class LoginForm(AllauthLoginForm):
    """allauth's log-in form, labelled as the rest of the portal."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["login"].label = "Email address"
        self.fields["login"].widget.attrs.pop("placeholder", None)
        self.fields["password"].widget.attrs.pop("placeholder", None)


class SignupForm(AllauthSignupForm):
    """allauth's sign-up plus a team: a new one they own, or the team that invited them."""

    team_name = forms.CharField(
        label="Team name",
        max_length=100,
        required=False,
        help_text="You can rename it later. Leave empty to use your email's name.",
    )
    field_order = ["email", "team_name", "password1", "password2"]

    def __init__(self, *args, invitation: Invitation | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.invitation = invitation
        self.fields["email"].label = "Email address"
        self.fields["email"].widget.attrs.update({"autocomplete": "email", "autofocus": True})
        self.fields["email"].widget.attrs.pop("placeholder", None)
        self.fields["password2"].label = "Password confirmation"
        if invitation is not None:
            # Joining an existing team: the email is the invited one, and no new team is made.
            del self.fields["team_name"]
            self.fields["email"].initial = invitation.email
            self.fields["email"].disabled = True

    def clean_email(self):
        return super().clean_email().strip().lower()

    def clean_team_name(self):
        return validators.check_name(self.cleaned_data.get("team_name", "").strip())

    @transaction.atomic
    def save(self, request) -> User:
        return super().save(request)

    def custom_signup(self, request, user: User) -> None:
        if self.invitation is not None:
            accept_invitation(self.invitation, user)
        else:
            name = self.cleaned_data.get("team_name") or f"{user.email.split('@')[0]}'s team"
            create_team(name, owner=user)


def create_team(name: str, owner: User) -> Tenant:
    tenant = Tenant.objects.create(name=name, slug=Tenant.unique_slug(name))
    Membership.objects.create(user=owner, tenant=tenant, role=Role.OWNER)
    return tenant


def accept_invitation(invitation: Invitation, user: User) -> Membership:
    """Add `user` to the invitation's team (keeping a better role they may already have)."""
    with transaction.atomic():
        membership, joined = Membership.objects.get_or_create(
            user=user, tenant=invitation.tenant, defaults={"role": invitation.role}
        )
        accepted = Invitation.objects.filter(pk=invitation.pk, accepted_at=None).update(
            accepted_at=timezone.now()
        )
        if accepted:
            after = {"email": user.email, "role": membership.role, "new_member": joined}
            audit.record(user, "member.join", tenant=invitation.tenant, target=membership, after=after)
    return membership


class TeamForm(forms.Form):
    name = forms.CharField(label="Team name", max_length=100)

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the team a name.")
        return validators.check_name(name)


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="What uses this key, e.g. “production server”.", widget=forms.TextInput()
    )
    expires_on = forms.DateField(
        label="Expires on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Optional. The key stops working at the end of this day (UTC).",
    )
    monthly_credit_limit = forms.IntegerField(
        label="Monthly spend cap (credits)",
        required=False,
        min_value=1,
        help_text="Optional. Generations that would take this key past the cap this month are refused.",
    )

    def clean_name(self):
        return validators.check_name(self.cleaned_data["name"])

    def clean_expires_on(self):
        day = self.cleaned_data["expires_on"]
        if day is not None and day < timezone.now().date():
            raise forms.ValidationError("Choose today or a later day.")
        return day if day is None else validators.check_day(day)

    def clean_monthly_credit_limit(self):
        limit = self.cleaned_data["monthly_credit_limit"]
        return limit if limit is None else validators.check_credits(limit)

    def issue(self, tenant: Tenant, user: User) -> tuple[ApiKey, str]:
        day = self.cleaned_data["expires_on"]
        expires_at = None
        if day is not None:
            expires_at = datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)
        return ApiKey.issue(
            tenant,
            self.cleaned_data["name"],
            created_by=user,
            expires_at=expires_at,
            monthly_credit_limit=self.cleaned_data["monthly_credit_limit"],
        )


def assignable_roles(actor: Membership) -> list[tuple[str, str]]:
    """Only owners hand out the owner role."""
    return [
        (value, label) for value, label in Role.choices if value != Role.OWNER or actor.role == Role.OWNER
    ]


class InviteForm(forms.Form):
    email = forms.EmailField(widget=forms.EmailInput(attrs={"placeholder": "name@example.com"}))
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)

    def __init__(self, *args, actor: Membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["role"].choices = assignable_roles(actor)

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if self.actor.tenant.memberships.filter(user__email__iexact=email).exists():
            raise forms.ValidationError("This person is already in the team.")
        return email

    def save(self) -> tuple[Invitation, bool]:
        """(invitation, created). One open invitation per address: inviting it again refreshes
        that invitation (role, inviter, seven more days) and keeps its link."""
        invitation, created = Invitation.objects.update_or_create(
            tenant=self.actor.tenant,
            email__iexact=self.cleaned_data["email"],
            accepted_at=None,
            defaults={
                "role": self.cleaned_data["role"],
                "invited_by": self.actor.user,
                "created": timezone.now(),
            },
            create_defaults={
                "email": self.cleaned_data["email"],
                "role": self.cleaned_data["role"],
                "invited_by": self.actor.user,
            },
        )
        return invitation, created


def _check_may_touch(actor: Membership, target: Membership) -> None:
    if target.role == Role.OWNER and actor.role != Role.OWNER:
        raise forms.ValidationError("Only an owner can change or remove an owner.")


def _check_keeps_an_owner(target: Membership) -> None:
    # Locked so two owners demoting each other at once cannot leave the team ownerless.
    # (Rows are fetched, not counted: PostgreSQL refuses FOR UPDATE with COUNT(*).)
    owners = Membership.objects.select_for_update().filter(tenant=target.tenant_id, role=Role.OWNER)
    if target.role == Role.OWNER and len(owners.values_list("pk", flat=True)) <= 1:
        raise forms.ValidationError("A team needs at least one owner: make someone else owner first.")


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)

    def __init__(self, *args, actor: Membership, target: Membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor, self.target = actor, target
        self.fields["role"].choices = assignable_roles(actor)

    @transaction.atomic
    def save(self) -> bool:
        """Apply the change; False with form errors when a team rule forbids it."""
        role = self.cleaned_data["role"]
        try:
            _check_may_touch(self.actor, self.target)
            if role != Role.OWNER:
                _check_keeps_an_owner(self.target)
        except forms.ValidationError as error:
            self.add_error(None, error)  # a team rule, not a wrong value in the field
            return False
        self.target.role = role
        self.target.save(update_fields=["role"])
        return True


class RemoveMemberForm(forms.Form):
    def __init__(self, *args, actor: Membership, target: Membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor, self.target = actor, target

    @transaction.atomic
    def save(self) -> bool:
        try:
            _check_may_touch(self.actor, self.target)
            _check_keeps_an_owner(self.target)
        except forms.ValidationError as error:
            self.add_error(None, error)
            return False
        self.target.delete()
        return True
