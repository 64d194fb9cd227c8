"""Portal pages for accounts: sign up, teams and the switcher, API keys, team members."""

from __future__ import annotations

from allauth.account import views as allauth_views
from allauth.account.adapter import get_adapter
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.mail import send_mail
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts import audit, form_tokens, key_spend
from accounts.decorators import tenant_required
from accounts.forms import (
    ApiKeyForm,
    InviteForm,
    RemoveMemberForm,
    RoleForm,
    TeamForm,
    accept_invitation,
    create_team,
)
from accounts.middleware import switch_tenant as set_session_tenant
from accounts.models import ApiKey, Invitation, Membership, Tenant
from seedance_site import validators

# --- Sign up, teams, switcher -----------------------------------------------------------------


class SignupView(allauth_views.SignupView):
    """allauth's sign-up (email confirmation, rate limit) with our invitation link.

    An open invitation's token (?invite=...) fixes the email to the invited address and counts
    as its confirmation: the link was mailed there.
    """

    def dispatch(self, request, *args, **kwargs):
        self.invitation = _open_invitation(request.GET.get("invite") or request.POST.get("invite"))
        if self.invitation is not None:
            get_adapter(request).stash_verified_email(request, self.invitation.email)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "invitation": self.invitation}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "invitation": self.invitation}

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 422  # refused, as every other portal form says it
        return response


@login_required
def new_team(request):
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        tenant = create_team(form.cleaned_data["name"], owner=request.user)
        set_session_tenant(request, tenant.id)
        messages.success(request, f"Created {tenant.name}. You are its owner.")
        return redirect("generations:dashboard")
    return render(request, "accounts/new_team.html", {"form": form}, status=422 if form.errors else 200)


@login_required
@require_POST
def switch_tenant(request):
    tenant_id = request.POST.get("tenant", "")
    if not validators.is_row_id(tenant_id) or not set_session_tenant(request, int(tenant_id)):
        raise Http404("No such team.")
    target = request.POST.get("next") or request.headers.get("Referer") or "/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "/"
    return redirect(target)


# --- API keys -------------------------------------------------------------------------------


@tenant_required("manage_keys")
def keys(request):
    form = ApiKeyForm(request.POST or None)
    new_key = secret = None
    if request.method == "POST" and not form_tokens.is_open(request, request.POST.get("form_token")):
        # A reload (or a second click) re-sends a form whose key exists already.
        messages.info(request, "That key was created already; its secret is shown only once.")
        return redirect("accounts:keys")
    if request.method == "POST" and form.is_valid():
        form_tokens.use(request, request.POST["form_token"])
        with transaction.atomic():
            new_key, secret = form.issue(request.tenant, request.user)
            summary = {
                "name": new_key.name,
                "prefix": new_key.prefix,
                "expires_at": new_key.expires_at,
                "monthly_credit_limit": new_key.monthly_credit_limit,
            }
            audit.record(request.user, "api_key.create", target=new_key, after=summary, request=request)
        # Rendered, not redirected: the secret must never be stored, not even in the session.
        form = ApiKeyForm()
    api_keys = list(ApiKey.objects.for_tenant(request.tenant).select_related("created_by"))
    spent = key_spend.spends(key.pk for key in api_keys)
    for key in api_keys:
        key.spent_this_month = spent[key.pk]
    context = {
        "form": form,
        "api_keys": api_keys,
        "new_key": new_key,
        "secret": secret,
        "form_token": request.POST.get("form_token") if form.errors else form_tokens.issue(request),
    }
    response = render(request, "accounts/keys.html", context, status=422 if form.errors else 200)
    if secret:
        add_never_cache_headers(response)  # the new key is on the page: no cache may keep it
    return response


@tenant_required("manage_keys")
@require_POST
def revoke_key(request, key_id: int):
    key = get_object_or_404(ApiKey.objects.for_tenant(request.tenant), pk=key_id)
    with transaction.atomic():
        if key.revoked_at is None:
            key.revoke()
            audit.record(request.user, "api_key.revoke", target=key, request=request)
    messages.success(request, f"Revoked “{key.name}”. Requests with it now get 401.")
    return redirect("accounts:keys")


# --- Team -----------------------------------------------------------------------------------


@tenant_required("manage_members")
def team(request, invite_form=None, status=200):
    members = Membership.objects.for_tenant(request.tenant).select_related("user").order_by("created")
    invitations = [i for i in Invitation.objects.for_tenant(request.tenant) if i.is_open]
    context = {
        "members": members,
        "invitations": invitations,
        "invite_form": invite_form or InviteForm(actor=request.membership),
        "role_choices": InviteForm(actor=request.membership).fields["role"].choices,
        "owner_count": sum(1 for m in members if m.role == "owner"),
    }
    return render(request, "accounts/team.html", context, status=status)


@tenant_required("manage_billing")
@require_POST
def team_security(request):
    """Owners turn on (or off) the rule that every owner of this team uses a second factor."""
    required = request.POST.get("require_owner_mfa") == "on"
    _change_team(request, "team.security", require_owner_mfa=required)
    if required:
        messages.success(request, "Owners of this team now need two-factor authentication.")
    else:
        messages.success(request, "Two-factor authentication is now optional for owners.")
    return redirect("accounts:team")


@tenant_required("manage_members")
@require_POST
def invite(request):
    form = InviteForm(request.POST, actor=request.membership)
    if not form.is_valid():
        return team(request, invite_form=form, status=422)
    with transaction.atomic():
        invitation, created = form.save()
        after = {"email": invitation.email, "role": invitation.role}
        note = "" if created else "sent again: the open invitation was refreshed"
        audit.record(
            request.user, "member.invite", target=invitation, after=after, note=note, request=request
        )
    _send_invitation_email(request, invitation)
    again = "" if created else " again (the earlier link still works, now valid for 7 more days)"
    messages.success(
        request, f"Invitation sent to {invitation.email}{again}. You can also copy the link below."
    )
    return redirect("accounts:team")


@tenant_required("manage_members")
@require_POST
def rename_team(request):
    form = TeamForm(request.POST)
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return redirect("accounts:team")
    name = form.cleaned_data["name"]
    _change_team(request, "team.rename", name=name)
    messages.success(request, f"The team is now called {name}.")
    return redirect("accounts:team")


@tenant_required("manage_members")
@require_POST
def cancel_invitation(request, invitation_id: int):
    invitation = get_object_or_404(Invitation.objects.for_tenant(request.tenant), pk=invitation_id)
    with transaction.atomic():
        before = {"email": invitation.email, "role": invitation.role}
        audit.record(request.user, "member.invite_cancel", target=invitation, before=before, request=request)
        invitation.delete()
    messages.success(request, f"Cancelled the invitation for {invitation.email}.")
    return redirect("accounts:team")


@tenant_required("manage_members")
@require_POST
def change_role(request, membership_id: int):
    target = get_object_or_404(Membership.objects.for_tenant(request.tenant), pk=membership_id)
    form = RoleForm(request.POST, actor=request.membership, target=target)
    before = {"email": target.user.email, "role": target.role}
    with transaction.atomic():
        changed = form.is_valid() and form.save()
        if changed:
            after = {"email": target.user.email, "role": target.role}
            audit.record(
                request.user, "member.role_change", target=target, before=before, after=after, request=request
            )
    if changed:
        messages.success(request, f"{target.user.email} is now {target.get_role_display().lower()}.")
    else:
        messages.error(request, _first_error(form))
    return redirect("accounts:team")


@tenant_required("manage_members")
@require_POST
def remove_member(request, membership_id: int):
    target = get_object_or_404(Membership.objects.for_tenant(request.tenant), pk=membership_id)
    form = RemoveMemberForm(request.POST, actor=request.membership, target=target)
    before = {"email": target.user.email, "role": target.role}
    with transaction.atomic():
        removed = form.save()
        if removed:
            audit.record(request.user, "member.remove", tenant=request.tenant, before=before, request=request)
    if not removed:
        messages.error(request, _first_error(form))
        return redirect("accounts:team")
    messages.success(request, f"Removed {target.user.email} from {request.tenant.name}.")
    if target.user_id == request.user.id:
        return redirect("generations:dashboard")
    return redirect("accounts:team")


def invitation(request, token: str):
    """The emailed link: shows who invites whom, then joins the logged-in user."""
    invitation = get_object_or_404(Invitation.objects.select_related("tenant", "invited_by"), token=token)
    context = {"invitation": invitation}
    if not invitation.is_open:
        return render(request, "accounts/invitation.html", {**context, "closed": True}, status=410)
    if not request.user.is_authenticated:
        return render(request, "accounts/invitation.html", context)
    if request.user.email.lower() != invitation.email.lower():
        # The link is a secret, but it was addressed to one person: don't let it join someone else.
        return render(request, "accounts/invitation.html", {**context, "wrong_user": True}, status=403)
    if request.method == "POST":
        accept_invitation(invitation, request.user)
        set_session_tenant(request, invitation.tenant_id)
        messages.success(request, f"You joined {invitation.tenant.name}.")
        return redirect("generations:dashboard")
    return render(request, "accounts/invitation.html", context)


# --- helpers --------------------------------------------------------------------------------


def _open_invitation(token: str | None) -> Invitation | None:
    if not validators.is_token(token):
        return None
    invitation = Invitation.objects.select_related("tenant").filter(token=token).first()
    return invitation if invitation and invitation.is_open else None


def _send_invitation_email(request, invitation: Invitation) -> None:
    link = request.build_absolute_uri(reverse("accounts:invitation", args=[invitation.token]))
    context = {"invitation": invitation, "link": link, "inviter": request.user}
    send_mail(
        subject=f"You are invited to {invitation.tenant.name} on Seedance Studio",
        message=render_to_string("accounts/invitation_email.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )


def _first_error(form) -> str:
    """The form's first error for a message box, after the field's label when it has one."""
    for field, errors in form.errors.items():
        if field in form.fields:
            return f"{form.fields[field].label or field.capitalize()}: {errors[0]}"
        return str(errors[0])
    return "That change is not allowed."


def _change_team(request, action: str, **fields) -> None:
    """Set the team's `fields` and audit the change as `action`; nothing happens when nothing changes."""
    tenant = request.tenant
    before = {name: getattr(tenant, name) for name in fields}
    if before == fields:
        return
    with transaction.atomic():
        Tenant.objects.filter(pk=tenant.pk).update(**fields)
        audit.record(request.user, action, tenant=tenant, before=before, after=fields, request=request)
