"""Plain helpers that build test data (no factory library: these few functions are enough)."""

from __future__ import annotations

from accounts.models import ApiKey, Membership, Role, Tenant, User

PASSWORD = "correct-horse-battery"


def make_user(email: str, password: str = PASSWORD, **extra) -> User:
    return User.objects.create_user(email=email, password=password, **extra)


def make_tenant(name: str, owner: User | None = None, **fields) -> Tenant:
    tenant = Tenant.objects.create(name=name, slug=Tenant.unique_slug(name), **fields)
    if owner is not None:
        Membership.objects.create(user=owner, tenant=tenant, role=Role.OWNER)
    return tenant


def add_member(tenant: Tenant, user: User, role: str = Role.MEMBER) -> Membership:
    return Membership.objects.create(user=user, tenant=tenant, role=role)


def make_api_key(tenant: Tenant, name: str = "test key", **fields) -> tuple[ApiKey, str]:
    return ApiKey.issue(tenant, name, **fields)
