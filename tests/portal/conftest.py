"""Portal test helpers: a logged-in Django test client per member of the cast."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.fixture
def client_for(tenant, other_tenant):
    """client_for(user) -> a Client logged in as `user` (the whole cast and both teams exist)."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def as_alice(client_for, alice):
    return client_for(alice)


@pytest.fixture
def as_bob(client_for, bob):
    return client_for(bob)


@pytest.fixture
def as_vera(client_for, vera):
    return client_for(vera)


@pytest.fixture
def as_charlie(client_for, charlie):
    return client_for(charlie)
