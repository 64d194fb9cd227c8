"""POST /api/v1/generations and /api/v1/quotes with bodies no client should send."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.test import APIClient

from tests.badinput.conftest import JSON, NEAR_MISS, UNICODE_PROMPT, fuzz, snapshot
from tests.factories import fund

pytestmark = pytest.mark.django_db

CREATE = "/api/v1/generations"


@pytest.fixture
def client(api_key, tenant):
    fund(tenant, 100_000)
    client = APIClient(HTTP_HOST="127.0.0.1")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key[1]}")
    return client


def post(client, body: bytes, content_type="application/json", path=CREATE):
    before = snapshot()
    response = client.generic("POST", path, body, content_type=content_type)
    return response, before


def assert_refused(response, before):
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    assert response.json()["error"]["code"]  # the one error shape, even for parser errors
    assert snapshot() == before


@fuzz
@given(body=JSON.filter(lambda body: not (isinstance(body, dict) and "prompt" in body)))
def test_random_json_is_refused_without_writing(client, body):
    response, before = post(client, json.dumps(body).encode())
    assert_refused(response, before)


@fuzz
@given(body=NEAR_MISS)
def test_the_right_fields_with_random_values_are_refused_or_created(client, body):
    response, before = post(client, json.dumps(body).encode())
    if response.status_code == 201:
        assert snapshot()["Generation"] == before["Generation"] + 1
    else:
        assert_refused(response, before)


@fuzz
@given(body=st.binary(max_size=300))
def test_bytes_that_are_not_json_are_refused(client, body):
    response, before = post(client, body)
    assert_refused(response, before)


@fuzz
@given(prompt=UNICODE_PROMPT)
def test_unicode_prompts_are_created_or_refused_by_length(client, prompt):
    response, before = post(client, json.dumps({"prompt": prompt, "provider": "sandbox"}).encode())
    if response.status_code == 201:
        assert response.json()["prompt"] == prompt  # stored and returned unchanged
        assert snapshot()["Generation"] == before["Generation"] + 1
    else:
        assert_refused(response, before)
        assert "prompt" in response.json()["error"]["details"]


@pytest.mark.parametrize(
    "body",
    [b'{"prompt": "A cat', b"{", b"", b"null", b"[]", b'"prompt"', b'{"prompt": NaN}', b"\xff\xfe{}"],
)
@pytest.mark.parametrize("path", [CREATE, "/api/v1/quotes"])
def test_broken_json_is_refused(client, body, path):
    response, before = post(client, body, path=path)
    assert_refused(response, before)


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "image/png"],
)
def test_wrong_content_types_are_refused(client, content_type):
    response, before = post(client, b'{"prompt": "A cat yawning at the camera"}', content_type=content_type)
    assert_refused(response, before)
    assert response.status_code == 415


def test_a_huge_body_is_refused_before_it_is_parsed(client, settings):
    settings.REQUEST_MAX_BODY_BYTES = 64 * 1024
    body = json.dumps({"prompt": "A cat " + "x" * (1024 * 1024)}).encode()
    response, before = post(client, body)
    assert_refused(response, before)
    assert response.status_code == 413


def test_a_huge_prompt_within_the_body_limit_names_the_field(client):
    response, before = post(client, json.dumps({"prompt": "é" * 100_000}).encode())
    assert_refused(response, before)
    assert response.status_code == 422
    assert "prompt" in response.json()["error"]["details"]
