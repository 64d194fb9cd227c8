from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from accounts.models import ApiKey
from tests.factories import make_api_key

pytestmark = pytest.mark.django_db


class WhoAmI(APIView):
    """The smallest view behind the real authentication class and permission."""

    def get(self, request):
        return Response({"tenant": request.tenant.slug, "key": request.api_key.name})


def call(key: str | None, header: str | None = None):
    factory = APIRequestFactory()
    headers = {}
    if header is not None:
        headers["HTTP_AUTHORIZATION"] = header
    elif key is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    return WhoAmI.as_view()(factory.get("/api/v1/whoami", **headers))


def test_a_valid_key_authenticates_as_its_tenant(api_key, tenant):
    response = call(api_key[1])
    assert response.status_code == 200
    assert response.data == {"tenant": tenant.slug, "key": "alice key"}


@pytest.mark.parametrize(
    "mangle",
    [
        lambda k: k[:-1] + ("A" if k[-1] != "A" else "B"),  # right prefix, wrong secret
        lambda k: "sds_00000000_" + k.split("_", 2)[2],  # unknown prefix
        lambda k: "not-even-our-format",
    ],
)
def test_a_wrong_key_gets_401_with_the_error_shape(api_key, mangle):
    response = call(mangle(api_key[1]))
    assert response.status_code == 401
    assert response.data["error"]["code"] == "invalid_api_key"
    assert response.data["error"]["message"]
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_revoked_key_gets_401(api_key):
    key, secret = api_key
    key.revoke()
    assert call(secret).status_code == 401


def test_an_expired_key_gets_401(tenant):
    _, secret = make_api_key(tenant, expires_at=timezone.now() - timedelta(seconds=1))
    assert call(secret).status_code == 401


def test_a_key_that_expires_later_still_works(tenant):
    _, secret = make_api_key(tenant, expires_at=timezone.now() + timedelta(days=1))
    assert call(secret).status_code == 200


def test_no_credentials_get_401_not_403():
    response = call(None)
    assert response.status_code == 401
    assert response.data["error"]["code"] == "not_authenticated"


def test_a_non_bearer_scheme_is_refused(api_key):
    response = call(None, header=f"Token {api_key[1]}")
    assert response.status_code == 401
    assert "Bearer" in response.data["error"]["message"]


def test_the_database_never_holds_the_secret(api_key):
    key, secret = api_key
    secret_part = secret.split("_", 2)[2]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ApiKey._meta.db_table} WHERE id = %s", [key.pk])
        row = cursor.fetchone()
    for column in row:
        assert secret not in str(column)
        assert secret_part not in str(column)


def test_last_used_at_moves_when_the_key_is_used(api_key):
    key, secret = api_key
    assert key.last_used_at is None
    call(secret)
    key.refresh_from_db()
    first = key.last_used_at
    assert first is not None

    # Within a minute nothing is written (no write per request); after it, the time moves.
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=first - timedelta(minutes=5))
    call(secret)
    key.refresh_from_db()
    assert key.last_used_at > first - timedelta(minutes=5)


def test_each_issued_key_is_distinct_and_verifiable(tenant):
    keys = {make_api_key(tenant, f"k{i}")[1] for i in range(5)}
    assert len(keys) == 5
    assert all(ApiKey.authenticate(k) is not None for k in keys)
