from datetime import UTC, datetime

import time_machine

from accounts.models import ApiKey
from tests.factories import make_api_key, post_key_form


def test_owner_creates_a_key_and_sees_the_secret_once(as_alice, tenant, alice):
    response = post_key_form(as_alice, {"name": "CI server"})
    assert response.status_code == 200
    page = response.content.decode()
    key = ApiKey.objects.get(tenant=tenant, name="CI server")
    secret = page.split('id="new-key-secret">')[1].split("<")[0]
    assert ApiKey.authenticate(secret) == key
    assert key.created_by == alice
    # The list shows the prefix only; the secret is never shown again.
    again = as_alice.get("/keys/").content.decode()
    assert key.display.replace("…", "") in again
    assert secret not in again


@time_machine.travel(datetime(2026, 3, 10, 12, tzinfo=UTC), tick=False)
def test_key_with_expiry_and_monthly_cap(as_alice, tenant):
    post_key_form(as_alice, {"name": "Temp", "expires_on": "2026-03-31", "monthly_credit_limit": "500"})
    key = ApiKey.objects.get(tenant=tenant, name="Temp")
    assert key.expires_at == datetime(2026, 4, 1, tzinfo=UTC)
    assert key.monthly_credit_limit == 500


@time_machine.travel(datetime(2026, 3, 10, 12, tzinfo=UTC), tick=False)
def test_key_form_names_the_bad_field_and_creates_nothing(as_alice, tenant):
    response = post_key_form(as_alice, {"name": "", "expires_on": "2026-03-01", "monthly_credit_limit": "0"})
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="name-error"' in page
    assert 'id="expires_on-error"' in page and "today or a later day" in page
    assert 'id="monthly_credit_limit-error"' in page
    assert not ApiKey.objects.filter(tenant=tenant).exists()


def test_owner_revokes_a_key(as_alice, api_key):
    key, secret = api_key
    response = as_alice.post(f"/keys/{key.id}/revoke/")
    assert response.status_code == 302
    assert ApiKey.authenticate(secret) is None
    assert "revoked" in as_alice.get("/keys/").content.decode()


def test_admin_manages_keys(client_for, tenant, bob):
    tenant.memberships.filter(user=bob).update(role="admin")
    assert client_for(bob).get("/keys/").status_code == 200


def test_member_and_viewer_cannot_see_or_create_keys(as_bob, as_vera, tenant):
    for client in (as_bob, as_vera):
        assert client.get("/keys/").status_code == 403
        assert client.post("/keys/", {"name": "sneaky"}).status_code == 403
        assert "/keys/" not in client.get("/").content.decode()
    assert not ApiKey.objects.filter(tenant=tenant).exists()


def test_another_teams_key_is_a_404_and_stays_active(as_charlie, api_key):
    key, secret = api_key
    assert as_charlie.post(f"/keys/{key.id}/revoke/").status_code == 404
    assert ApiKey.authenticate(secret) == key


def test_keys_list_only_the_current_teams_keys(as_charlie, api_key, other_tenant):
    make_api_key(other_tenant, "charlie's own")
    page = as_charlie.get("/keys/").content.decode()
    assert "charlie&#x27;s own" in page
    assert "alice key" not in page
