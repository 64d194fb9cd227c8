"""Portal account pages. Mounted at the site root: /accounts/..., /keys/, /team/."""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from accounts import views

app_name = "accounts"

# Django's auth views reverse un-namespaced names by default, so each success_url is given here.
urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/signup/", views.signup, name="signup"),
    path(
        "accounts/password_change/",
        auth_views.PasswordChangeView.as_view(success_url=reverse_lazy("accounts:password_change_done")),
        name="password_change",
    ),
    path(
        "accounts/password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "accounts/password_reset/",
        auth_views.PasswordResetView.as_view(
            success_url=reverse_lazy("accounts:password_reset_done"),
            email_template_name="registration/password_reset_email.txt",
            subject_template_name="registration/password_reset_subject.txt",
        ),
        name="password_reset",
    ),
    path(
        "accounts/password_reset/done/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            success_url=reverse_lazy("accounts:password_reset_complete")
        ),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("accounts/teams/new/", views.new_team, name="new_team"),
    path("accounts/teams/switch/", views.switch_tenant, name="switch_tenant"),
    path("accounts/invitations/<str:token>/", views.invitation, name="invitation"),
    path("keys/", views.keys, name="keys"),
    path("keys/<int:key_id>/revoke/", views.revoke_key, name="revoke_key"),
    path("team/", views.team, name="team"),
    path("team/invite/", views.invite, name="invite"),
    path("team/invitations/<int:invitation_id>/cancel/", views.cancel_invitation, name="cancel_invitation"),
    path("team/members/<int:membership_id>/role/", views.change_role, name="change_role"),
    path("team/members/<int:membership_id>/remove/", views.remove_member, name="remove_member"),
]
