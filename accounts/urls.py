"""Portal account pages. Mounted at the site root: /accounts/..., /keys/, /team/.

Log in, log out, password reset and change, email confirmation and two-factor pages are
allauth's (mounted at /accounts/ after these); sign-up is allauth's view with our invitation
link. The design's older paths redirect to allauth's.
"""

from django.urls import path
from django.views.generic import RedirectView

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("accounts/signup/", views.SignupView.as_view(), name="signup"),
    path(
        "accounts/password_reset/",
        RedirectView.as_view(pattern_name="account_reset_password", query_string=True),
        name="password_reset",
    ),
    path(
        "accounts/password_change/",
        RedirectView.as_view(pattern_name="account_change_password", query_string=True),
        name="password_change",
    ),
    path("accounts/teams/new/", views.new_team, name="new_team"),
    path("accounts/teams/switch/", views.switch_tenant, name="switch_tenant"),
    path("accounts/invitations/<token:token>/", views.invitation, name="invitation"),
    path("keys/", views.keys, name="keys"),
    path("keys/<rowid:key_id>/revoke/", views.revoke_key, name="revoke_key"),
    path("team/", views.team, name="team"),
    path("team/security/", views.team_security, name="team_security"),
    path("team/rename/", views.rename_team, name="rename_team"),
    path("team/invite/", views.invite, name="invite"),
    path("team/invitations/<rowid:invitation_id>/cancel/", views.cancel_invitation, name="cancel_invitation"),
    path("team/members/<rowid:membership_id>/role/", views.change_role, name="change_role"),
    path("team/members/<rowid:membership_id>/remove/", views.remove_member, name="remove_member"),
]
