import pytest
from django.test import RequestFactory

from accounts.middleware import SESSION_KEY, TenantMiddleware, switch_tenant
from accounts.models import Membership, Role, TenantSuspended
from generations.models import Generation
from tests.factories import add_member, make_tenant

pytestmark = pytest.mark.django_db


def resolve(user, session=None):
    request = RequestFactory().get("/")
    request.user = user
    request.session = session if session is not None else {}
    TenantMiddleware(lambda r: r)(request)
    return request


def test_the_portal_tenant_defaults_to_the_first_membership(alice, tenant):
    request = resolve(alice)
    assert request.tenant == tenant
    assert request.membership.role == Role.OWNER


def test_the_session_choice_wins_when_the_user_belongs_there(alice, tenant, charlie, other_tenant):
    add_member(other_tenant, alice, Role.VIEWER)
    request = resolve(alice, {SESSION_KEY: other_tenant.pk})
    assert request.tenant == other_tenant
    assert request.membership.role == Role.VIEWER


def test_a_session_pointing_at_a_foreign_tenant_falls_back(alice, tenant, other_tenant):
    request = resolve(alice, {SESSION_KEY: other_tenant.pk})
    assert request.tenant == tenant


def test_switching_to_a_foreign_tenant_is_refused(alice, tenant, other_tenant):
    request = resolve(alice)
    assert switch_tenant(request, other_tenant.pk) is False
    assert SESSION_KEY not in request.session


def test_for_tenant_never_returns_another_tenants_rows(tenant, other_tenant):
    mine = Generation.objects.create(tenant=tenant, provider="sandbox", prompt="a cat yawning")
    Generation.objects.create(tenant=other_tenant, provider="sandbox", prompt="a dog barking")
    assert list(Generation.objects.for_tenant(tenant)) == [mine]
    assert not Generation.objects.for_tenant(other_tenant).filter(pk=mine.pk).exists()


def test_roles_grant_what_they_say(tenant, alice, bob, vera):
    owner, member, viewer = (Membership.objects.get(tenant=tenant, user=u) for u in (alice, bob, vera))
    assert owner.can("manage_billing") and owner.can("manage_keys")
    assert member.can("create") and not member.can("manage_keys")
    assert viewer.can("view") and not viewer.can("create")


def test_a_suspended_tenant_refuses_new_work(tenant):
    tenant.ensure_can_create_work()  # fine while active
    tenant.suspended = True
    with pytest.raises(TenantSuspended) as exc:
        tenant.ensure_can_create_work()
    assert exc.value.http_status == 403
    assert exc.value.code == "tenant_suspended"


def test_unique_slugs_are_made_for_equal_names(db):
    first = make_tenant("Acme")
    second = make_tenant("Acme")
    assert first.slug == "acme"
    assert second.slug == "acme-2"
