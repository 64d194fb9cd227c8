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


def new_generation(tenant: Tenant, **fields):
    """An unsaved Generation as the create service builds it: holds.hold() inserts it."""
    from generations.models import Generation

    fields.setdefault("provider", "sandbox")
    fields.setdefault("prompt", "A cat yawning at the camera")
    return Generation(tenant=tenant, **fields)


def make_generation(tenant: Tenant, hold: int | None = None, **fields):
    """A Generation row as the create service inserts it, holding `hold` credits through billing
    (the tenant needs them: see fund), or none."""
    from generations import holds

    generation = new_generation(tenant, **fields)
    if hold is None:
        generation.save(force_insert=True)
    else:
        holds.hold(generation, hold)
    return generation


def fund(tenant: Tenant, credits: int):
    """Grant `credits` to the tenant through billing (a real ledger entry)."""
    from billing.services import grant

    return grant(tenant, credits, note="test funds")


def post_key_form(client, data: dict):
    """POST the portal's API key form as a browser does: with the one-use token its page gave."""
    import re

    page = client.get("/keys/").content.decode()
    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    return client.post("/keys/", {**data, "form_token": token})
