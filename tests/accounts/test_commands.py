from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import ApiKey, Membership, Role, Tenant, User

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_tenant_prints_the_slug_and_makes_the_owner():
    out = run("create_tenant", "Acme Films", "--owner", "ada@example.org", "--password", "s3cret-pass")
    assert out.strip() == "acme-films"
    tenant = Tenant.objects.get(slug="acme-films")
    user = User.objects.get(email="ada@example.org")
    assert user.check_password("s3cret-pass")
    assert Membership.objects.get(user=user, tenant=tenant).role == Role.OWNER


def test_create_tenant_reuses_an_existing_owner(alice):
    run("create_tenant", "Second Team", "--owner", "alice@example.org")
    assert alice.memberships.filter(tenant__slug="second-team", role=Role.OWNER).exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["   ", "--owner", "a@example.org"], "NAME"),
        (["Acme", "--owner", "not-an-email"], "--owner"),
        (["Acme", "--owner", "a@example.org", "--credits", "-5"], "--credits"),
    ],
)
def test_create_tenant_refuses_bad_input_and_writes_nothing(args, message):
    with pytest.raises(CommandError, match=message):
        run("create_tenant", *args)
    assert not Tenant.objects.exists()
    assert not User.objects.exists()


def test_create_tenant_refuses_a_password_for_an_existing_user(alice):
    with pytest.raises(CommandError, match="already exists"):
        run("create_tenant", "Acme", "--owner", "alice@example.org", "--password", "x")
    assert not Tenant.objects.filter(slug="acme").exists()


def test_create_api_key_prints_a_working_key_alone_on_the_last_line(tenant):
    out = run("create_api_key", tenant.slug, "--name", "ci")
    key = out.strip().splitlines()[-1]
    api_key = ApiKey.authenticate(key)
    assert api_key is not None
    assert api_key.tenant == tenant and api_key.name == "ci"


@pytest.mark.parametrize(
    "args, message",
    [
        (["nope", "--name", "ci"], "No tenant"),
        (["{slug}", "--name", "  "], "--name"),
        (["{slug}", "--name", "ci", "--expires-in-days", "0"], "--expires-in-days"),
    ],
)
def test_create_api_key_refuses_bad_input(tenant, args, message):
    args = [a.format(slug=tenant.slug) for a in args]
    with pytest.raises(CommandError, match=message):
        run("create_api_key", *args)
    assert not ApiKey.objects.exists()


def test_demo_prints_a_login_and_a_key_that_works_and_can_run_twice():
    first = run("demo")
    second = run("demo")
    key = second.split("API key (shown once):")[1].split()[0]
    api_key = ApiKey.authenticate(key)
    assert api_key is not None and api_key.tenant.slug == "demo"
    assert "demo@example.com" in first
    # The key printed by the first run was replaced by the second.
    old = first.split("API key (shown once):")[1].split()[0]
    assert ApiKey.authenticate(old) is None
    assert User.objects.get(email="demo@example.com").check_password("demo-password")
