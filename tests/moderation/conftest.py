"""Staff in the admin: `staff_client` is logged in as sam, a staff superuser.

The lifecycle's scripted fake provider (tests/generations/conftest.py) is reused, so the
actions run the real services, tasks and billing with no network.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent
from generations.models import Generation
from tests.billing.conftest import books_agree  # noqa: F401
from tests.factories import make_user

# Fixtures, imported so pytest registers them for these tests too.
from tests.generations.conftest import (  # noqa: F401
    create,
    fake_providers,
    funded,
    queued,
    run_queued,
)

CHANGELIST = "admin:generations_generation_changelist"
REVIEW_QUEUE = "admin:generations_generation_review"


@pytest.fixture
def sam(db):
    return make_user("sam@example.org", is_staff=True, is_superuser=True)


@pytest.fixture
def staff_client(sam):
    client = Client()
    client.force_login(sam)
    return client


@pytest.fixture
def run_action(staff_client, django_capture_on_commit_callbacks):
    """POST an admin action for some generations, as a staff user would from the change list."""

    def run(action: str, *generations: Generation, url: str = CHANGELIST, **extra):
        data = {"action": action, "_selected_action": [g.pk for g in generations], "index": 0, **extra}
        with django_capture_on_commit_callbacks(execute=True):
            response = staff_client.post(reverse(url), data, follow=True)
        assert response.status_code == 200
        return response

    return run


def audit_events(action: str | None = None, target=None):
    events = AuditEvent.objects.all()
    if action:
        events = events.filter(action=action)
    if target is not None:
        events = events.filter(target_id=str(target.pk))
    return events


def reload(generation: Generation) -> Generation:
    return Generation.objects.get(pk=generation.pk)


def page_messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])
