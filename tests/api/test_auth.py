"""Every endpoint refuses a missing or wrong key with 401 in the one error shape."""

import pytest

ENDPOINTS = [
    ("get", "/api/v1/generations"),
    ("post", "/api/v1/generations"),
    ("get", "/api/v1/generations/gen_01jd3q7m2k8r5t0v9w4x6y1z3a"),
    ("post", "/api/v1/generations/gen_01jd3q7m2k8r5t0v9w4x6y1z3a/cancel"),
    ("post", "/api/v1/quotes"),
    ("get", "/api/v1/balance"),
    ("get", "/api/v1/ledger"),
    ("get", "/api/v1/providers"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_it_needs_a_key(anonymous_client, method, url):
    response = getattr(anonymous_client, method)(url, {}, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_it_refuses_an_unknown_key(bad_key_client, method, url):
    response = getattr(bad_key_client, method)(url, {}, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"


def test_it_refuses_a_revoked_key(api_client, api_key):
    api_key[0].revoke()
    response = api_client.get("/api/v1/balance")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"


@pytest.mark.django_db
def test_unknown_api_paths_are_json_404s(api_client):
    response = api_client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Not found.", "details": {}}}
