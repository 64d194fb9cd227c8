"""Bad input on every portal form: a refusal the user can read, never a server error, and
nothing written (no row added, changed or deleted, no credit held, nothing queued).

Each form is posted once per bad value with otherwise valid data, so the table shows which
field's rule refuses which value. A refusal is a 4xx page, or, for the forms that live on a
page of their own (team rename, billing settings, buy), a redirect back with an error message;
docs/portal.md ("Bad input") says which.
"""

from __future__ import annotations

import io
import re

import pytest
from django.apps import apps
from django.contrib.messages import constants, get_messages
from django.test import Client

from accounts.models import Invitation, Role
from billing.payments.models import CreditPack
from tests.factories import add_member, fund, make_user
from tests.payments.conftest import payment_sandbox  # noqa: F401 - fixture: buying stays in-process

pytestmark = pytest.mark.django_db

# --- The bad values ------------------------------------------------------------------------------

NUL = "A cat\x00yawning"
OVERLONG = "x" * 100_000
TEXT = {"NUL byte": NUL, "overlong": OVERLONG, "only spaces": "   ", "control character": "a\x1bb"}
NUMBER = {
    "10^30": str(10**30),
    "2^63": "9223372036854775808",
    "-2^63-1": "-9223372036854775809",
    "negative": "-5",
    "zero": "0",
    "letters": "abc",
    "fraction": "1.5",
    "exponent": "1e30",
    "NaN": "NaN",
    "infinity": "Infinity",
    "NUL byte": "1\x00",
    "superscript digit": "²",
    "overlong digits": "9" * 5000,
}
DAY = {
    "9999-12-31": "9999-12-31",
    "0000-01-01": "0000-01-01",
    "9999-99-99": "9999-99-99",
    "0001-01-01": "0001-01-01",
    "2026-02-30": "2026-02-30",
    "letters": "abc",
    "NUL byte": "2030-01-01\x00",
    "overlong": "2030-01-01" * 1000,
}
URL = {
    "javascript:": "javascript:alert(document.domain)",
    "file:": "file:///etc/passwd",
    "data:": "data:text/html,<script>alert(1)</script>",
    "metadata address": "http://169.254.169.254/latest/meta-data/",
    "private address": "http://10.0.0.1/hook",
    "loopback v6": "http://[::1]/hook",
    "localhost": "http://localhost:8000/hook",
    "NUL byte": "https://example.org/\x00hook",
    "overlong": "https://example.org/" + "a" * 5000,
    "no scheme": "example.org/hook",
}
CHOICE = {"NUL byte": "member\x00", "unknown": "superuser", "overlong": "o" * 10_000, "empty": ""}
EMAIL = {
    "NUL byte": "new\x00person@example.org",
    "overlong": "a" * 5000 + "@example.org",
    "not an address": "not-an-address",
    "header injection": "a@example.org\r\nBcc: b@example.org",
}


def cases(kind: dict[str, str], *fields: str, skip: tuple[str, ...] = ()):
    return [
        pytest.param(field, value, id=f"{field}={name}")
        for field in fields
        for name, value in kind.items()
        if name not in skip
    ]


# --- What "nothing written" means ----------------------------------------------------------------

OUR_APPS = ("accounts", "billing", "generations", "webhooks", "sandbox", "ops", "django_q", "account", "mfa")


# Stamps of use, not of what a request asked for (an API key's last use).
USAGE_STAMPS = {"last_used_at"}


def snapshot() -> dict[str, list[dict]]:
    """Every row of our apps' tables (the test database is small)."""
    rows = {}
    for model in apps.get_models():
        if model._meta.app_label in OUR_APPS and model._meta.managed and not model._meta.proxy:
            fields = [f.attname for f in model._meta.concrete_fields if f.attname not in USAGE_STAMPS]
            rows[model._meta.label] = list(model.objects.order_by("pk").values(*fields))
    return rows


def assert_unchanged(before: dict[str, list[dict]]) -> None:
    after = snapshot()
    changed = {label: rows for label, rows in after.items() if rows != before[label]}
    assert not changed, f"written: {sorted(changed)}"


def assert_refused(response, field: str | None = None) -> None:
    """A 4xx page (naming the field when given), or a redirect carrying an error message."""
    assert response.status_code < 500, response.status_code
    if response.status_code in (301, 302, 303):
        errors = [m for m in get_messages(response.wsgi_request) if m.level == constants.ERROR]
        assert errors, f"redirected to {response['Location']} without an error message"
        return
    assert 400 <= response.status_code < 500, response.status_code
    if field is not None:
        page = response.content.decode()
        assert f'id="{field}-error"' in page or 'class="alert alert-error"' in page, (
            f"no error shown for {field}"
        )


def post_refused(client: Client, path: str, data: dict, field: str | None) -> None:
    before = snapshot()
    response = client.post(path, data)
    assert_refused(response, field)
    assert_unchanged(before)


# --- Fixtures ------------------------------------------------------------------------------------


@pytest.fixture
def as_alice(tenant, alice, settings):
    settings.OUTBOUND_ALLOWLIST = []  # the outbound guard as in production (tests allow loopback)
    fund(tenant, 1000)
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def profile(tenant):
    """The payment settings row, made as the billing page makes it (not by the refused form)."""
    from billing.payments.services import profile_for

    return profile_for(tenant)


@pytest.fixture
def pack(db):
    return CreditPack.objects.on_sale().first()


# --- New generation ------------------------------------------------------------------------------

GENERATION = {"prompt": "A cat yawning at the camera", "provider": "auto", "model": "", "service_tier": "",
              "aspect_ratio": "16:9", "resolution": "720p", "duration": "8"}  # fmt: skip


@pytest.mark.parametrize(
    "field,value",
    [
        *cases(TEXT, "prompt", skip=("control character",)),
        *cases(
            CHOICE,
            "provider",
            "model",
            "service_tier",
            "aspect_ratio",
            "resolution",
            "duration",
            skip=("empty",),
        ),
        *cases(NUMBER, "seed", skip=("zero", "negative")),
        *cases(NUMBER, "duration"),
        *cases(URL, "first_frame_url"),
    ],
)
def test_new_generation_refuses(as_alice, field, value):
    post_refused(as_alice, "/generations/new/", {**GENERATION, field: value}, field)


def test_new_generation_with_a_list_for_a_choice_takes_nothing_unchecked(as_alice):
    before = snapshot()
    response = as_alice.post("/generations/new/", {**GENERATION, "resolution": ["720p", "\x00"]})
    assert_refused(response, "resolution")
    assert_unchanged(before)


@pytest.mark.parametrize(
    "field,value",
    [*cases(TEXT, "prompt"), *cases(NUMBER, "duration"), *cases(CHOICE, "resolution", "provider")],
)
def test_the_price_quote_answers_any_input_without_a_server_error(as_alice, field, value):
    before = snapshot()
    response = as_alice.get("/generations/new/quote/", {**GENERATION, field: value})
    assert response.status_code == 200
    assert_unchanged(before)


@pytest.mark.parametrize("role", ["\x00", "x" * 300, "../first_frame", "first_frame_url"])
def test_a_frame_upload_for_an_unknown_role_is_a_404(as_alice, role):
    before = snapshot()
    response = as_alice.post(f"/generations/new/frames/{role}/", {"file": io.BytesIO(b"abc")})
    assert response.status_code == 404
    assert_unchanged(before)


@pytest.mark.parametrize("data", [{}, {"file": "not a file"}, {"file": ["a", "b"]}])
def test_a_frame_upload_without_an_image_is_refused(as_alice, data):
    post_refused(as_alice, "/generations/new/frames/first_frame/", data, None)


# --- API keys ------------------------------------------------------------------------------------


def post_key(client: Client, data: dict):
    page = client.get("/keys/").content.decode()
    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    return client.post("/keys/", {**data, "form_token": token})


@pytest.mark.parametrize(
    "field,value",
    [
        *cases(TEXT, "name"),
        *cases(NUMBER, "monthly_credit_limit"),
        *cases(DAY, "expires_on"),
        pytest.param("form_token", "\x00", id="form_token=NUL byte"),
    ],
)
def test_key_form_refuses(as_alice, field, value):
    page = as_alice.get("/keys/").content.decode()
    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    data = {"name": "CI", "form_token": token, field: value}
    before = snapshot()
    response = as_alice.post("/keys/", data)
    if field == "form_token":  # taken for a reload of a form whose key exists: told so, nothing made
        assert response.status_code == 302
    else:
        assert_refused(response, field)
    assert_unchanged(before)


def test_revoking_a_key_that_is_not_there_writes_nothing(as_alice):
    post_refused(as_alice, "/keys/9223372036854775808/revoke/", {}, None)
    post_refused(as_alice, "/keys/999999999999999999/revoke/", {}, None)


# --- Team ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [*TEXT.values(), ""], ids=[*TEXT, "empty"])
def test_team_rename_refuses(as_alice, value):
    post_refused(as_alice, "/team/rename/", {"name": value}, "name")


@pytest.mark.parametrize(
    "path,data,label",
    [
        ("/team/rename/", {"name": "a\x1bb"}, "Team name: "),
        ("/billing/auto-recharge/", {"recharge_below": "1e30", "recharges_per_day": "3"}, "When available"),
        ("/billing/buy/", {"credits": str(10**30)}, "Credits: "),
    ],
)
def test_a_refusal_in_the_message_box_names_the_field(as_alice, pack, profile, path, data, label):
    response = as_alice.post(path, data)
    assert next(str(m) for m in get_messages(response.wsgi_request)).startswith(label)


@pytest.mark.parametrize("value", [*TEXT.values(), ""], ids=[*TEXT, "empty"])
def test_new_team_refuses(as_alice, value):
    post_refused(as_alice, "/accounts/teams/new/", {"name": value}, "name")


@pytest.mark.parametrize(
    "field,value",
    [*cases(EMAIL, "email"), *cases(CHOICE, "role"), pytest.param("role", "owner", id="role=owner by admin")],
)
def test_invite_refuses(as_alice, tenant, field, value):
    client = as_alice
    if value == "owner":  # only owners hand out the owner role
        admin = make_user("adam@example.org")
        add_member(tenant, admin, Role.ADMIN)
        client = Client()
        client.force_login(admin)
    post_refused(client, "/team/invite/", {"email": "new@example.org", "role": "member", field: value}, field)


@pytest.mark.parametrize("value", CHOICE.values(), ids=CHOICE)
def test_role_change_refuses(as_alice, tenant, bob, value):
    membership = tenant.memberships.get(user=bob)
    post_refused(as_alice, f"/team/members/{membership.pk}/role/", {"role": value}, "role")


@pytest.mark.parametrize("value", ["on\x00", "yes", "1" * 10_000, "\x00"])
def test_two_factor_rule_takes_only_on(as_alice, tenant, value):
    """Anything but "on" leaves the rule off; with the rule already off nothing is written."""
    before = snapshot()
    response = as_alice.post("/team/security/", {"require_owner_mfa": value})
    assert response.status_code == 302
    assert_unchanged(before)


@pytest.mark.parametrize(
    "path",
    [
        "/team/members/9223372036854775808/role/",
        "/team/members/999999999999999999/remove/",
        "/team/invitations/999999999999999999/cancel/",
    ],
)
def test_team_actions_on_rows_that_are_not_there_write_nothing(as_alice, path):
    post_refused(as_alice, path, {"role": "member"}, None)


@pytest.mark.parametrize("value", ["\x00", "9" * 40, "-1", "abc", "²"])
def test_switching_to_a_team_that_is_not_there_is_a_404(as_alice, value):
    post_refused(as_alice, "/accounts/teams/switch/", {"tenant": value}, None)


# --- Invitations, sign-up and log-in -------------------------------------------------------------


@pytest.fixture
def invitation(tenant, alice):
    return Invitation.objects.create(
        tenant=tenant, email="newbie@example.org", role="member", invited_by=alice
    )


@pytest.mark.parametrize("token", ["%00", "x" * 300, "abc"])
def test_accepting_an_invitation_with_a_malformed_token_is_a_404(as_alice, invitation, token):
    before = snapshot()
    response = as_alice.post(f"/accounts/invitations/{token}/")
    assert response.status_code == 404
    assert_unchanged(before)


SIGNUP = {"email": "new@example.org", "team_name": "New team", "password1": "a-Long-pass-phrase-42",
          "password2": "a-Long-pass-phrase-42"}  # fmt: skip


@pytest.mark.parametrize(
    "field,value",
    [
        *cases(EMAIL, "email"),
        *cases(TEXT, "team_name", skip=("only spaces",)),
        pytest.param("password1", "pass\x00word-Long-42", id="password1=NUL byte"),
    ],
)
def test_signup_refuses(client, db, field, value):
    data = {**SIGNUP, field: value}
    if field == "password1":
        data["password2"] = value
    post_refused(client, "/accounts/signup/", data, field)


@pytest.mark.parametrize("invite", ["\x00", "x" * 300])
def test_signup_with_a_malformed_invitation_token_makes_its_own_team_only(client, db, invite):
    response = client.post("/accounts/signup/", {**SIGNUP, "invite": invite})
    assert response.status_code < 500


@pytest.mark.parametrize(
    "field,value",
    [
        *cases(EMAIL, "login"),
        pytest.param("password", "\x00", id="password=NUL byte"),
        pytest.param("password", OVERLONG, id="password=overlong"),
    ],
)
def test_login_refuses(client, alice, field, value):
    data = {"login": "alice@example.org", "password": "wrong-password", field: value}
    before = snapshot()
    response = client.post("/accounts/login/", data)
    assert 200 <= response.status_code < 500
    assert "_auth_user_id" not in client.session
    assert_unchanged(before)


# --- Billing -------------------------------------------------------------------------------------

RECHARGE = {"recharge_below": "100", "recharge_pack": "", "recharges_per_day": "3"}


@pytest.mark.parametrize(
    "field,value",
    [
        *cases(NUMBER, "recharge_below", skip=("zero",)),
        *cases(NUMBER, "recharges_per_day"),
        *cases(NUMBER, "recharge_pack", skip=("zero", "negative")),
    ],
)
def test_auto_recharge_settings_refuse(as_alice, profile, field, value):
    post_refused(as_alice, "/billing/auto-recharge/", {**RECHARGE, field: value}, field)


@pytest.mark.parametrize("field,value", [*cases(NUMBER, "credits"), *cases(NUMBER, "pack", skip=("zero",))])
def test_buying_credits_refuses(as_alice, pack, field, value):
    post_refused(as_alice, "/billing/buy/", {field: value}, field)


@pytest.mark.parametrize("value", ["on\x00", "\x00", "1" * 10_000])
def test_buyers_setting_takes_only_a_checkbox(as_alice, value):
    response = as_alice.post("/billing/buyers/", {"admins_may_buy": value})
    assert response.status_code == 302


# --- Webhooks ------------------------------------------------------------------------------------


@pytest.fixture
def resolver(monkeypatch):
    """No real DNS in tests: localhost is loopback, every other name a public address."""
    from generations import outbound

    monkeypatch.setattr(
        outbound, "resolve", lambda host, port: ["127.0.0.1"] if host == "localhost" else ["93.184.216.34"]
    )


WEBHOOK = {"url": "https://hooks.example.org/seedance", "events": ["generation.succeeded"], "enabled": "on"}


@pytest.mark.parametrize(
    "field,value",
    [
        *cases(URL, "url"),
        *cases(CHOICE, "events"),
        pytest.param("events", ["generation.succeeded", "\x00"], id="events=list with NUL"),
    ],
)
def test_webhook_endpoint_form_refuses(as_alice, resolver, field, value):
    post_refused(as_alice, "/webhooks/", {**WEBHOOK, field: value}, field)


def test_a_test_event_without_an_endpoint_writes_nothing(as_alice):
    post_refused(as_alice, "/webhooks/test/", {}, None)


def test_redelivering_a_delivery_that_is_not_there_writes_nothing(as_alice):
    post_refused(as_alice, "/webhooks/deliveries/999999999999999999/redeliver/", {}, None)


# --- Query parameters of portal pages ------------------------------------------------------------


@pytest.mark.parametrize(
    "path,params",
    [
        *[("/generations/", {"created_after": v}) for v in DAY.values()],
        *[("/generations/", {"created_before": v}) for v in DAY.values()],
        ("/generations/", {"created_by": "9" * 40}),
        ("/generations/", {"created_by": "\x00"}),
        ("/generations/", {"status": "\x00"}),
        ("/generations/", {"provider": "p" * 10_000}),
        ("/generations/", {"q": NUL}),
        ("/generations/", {"q": OVERLONG}),
        ("/generations/", {"q": " ".join(["w"] * 5000)}),
        ("/generations/", {"after": "gen_" + "z" * 26}),
        ("/generations/new/", {"from": "gen_" + "0" * 26}),
        ("/billing/", {"before": "\x00"}),
        ("/billing/", {"before": "-1"}),
        ("/billing/", {"before": "9" * 5000}),
        ("/audit/", {"page": "9" * 40}),
        ("/audit/", {"page": "-1"}),
        ("/audit/", {"page": "\x00"}),
        ("/webhooks/", {"state": "\x00"}),
        ("/billing/payments/99999999999999999999999999/", {}),
        ("/billing/payments/9223372036854775808/", {"cancelled": "1"}),
        ("/billing/card/saved/", {"session_id": "\x00"}),
        ("/accounts/signup/", {"invite": "\x00"}),
        ("/accounts/signup/", {"invite": "x" * 5000}),
        ("/results/gen_00000000000000000000000000/video", {"download": "\x00"}),
    ],
)
def test_portal_pages_answer_bad_query_parameters_without_a_server_error(as_alice, profile, path, params):
    before = snapshot()
    response = as_alice.get(path, params)
    assert response.status_code < 500
    assert_unchanged(before)
