"""Shared fixtures of tests/webhooks and tests/results (imported by both conftests)."""

from __future__ import annotations

import pytest

from generations import outbound
from generations.providers.base import Update
from tests.factories import make_generation

PUBLIC_ADDRESS = "93.184.216.34"


@pytest.fixture
def dns(monkeypatch):
    """A fake resolver: every name is public unless the test maps it (no real DNS in tests)."""
    answers: dict[str, list[str]] = {}
    monkeypatch.setattr(outbound, "resolve", lambda host, port: answers.get(host, [PUBLIC_ADDRESS]))
    return answers


@pytest.fixture
def queued(monkeypatch):
    """django-q2 enqueues recorded instead of sent: [(func, args), ...]."""
    calls: list[tuple[str, tuple]] = []
    monkeypatch.setattr(
        "generations.webhooks.outbox.async_task", lambda func, *a, **k: calls.append((func, a))
    )
    monkeypatch.setattr("generations.results.async_task", lambda func, *a, **k: calls.append((func, a)))
    monkeypatch.setattr(
        "generations.results.schedule", lambda func, *a, **k: calls.append((f"schedule:{func}", (*a, k)))
    )
    return calls


def finish(generation, state: str = "succeeded", **update):
    """Move a generation to `state` through the one lifecycle function, as a provider would."""
    from generations.services import apply_update

    if state == "succeeded":
        update.setdefault("video_url", "https://cdn.provider.example/v/video.mp4")
    return apply_update(generation.pk, Update(state=state, **update), source="test")


def running_generation(tenant, **fields):
    fields.setdefault("status", "running")
    fields.setdefault("provider_task_id", "task-1")
    return make_generation(tenant, **fields)
