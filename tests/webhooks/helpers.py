"""Shared fixtures of tests/webhooks and tests/results (imported by both conftests)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.base import ContentFile

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
    for module in ("generations.webhooks.outbox", "generations.lifecycle"):
        monkeypatch.setattr(f"{module}.async_task", lambda func, *a, **k: calls.append((func, a)))
    return calls


SAMPLE_VIDEO = Path(__file__).resolve().parents[2] / "static" / "sandbox" / "sample.mp4"


def provide(generation, state: str = "succeeded", **update):
    """What the provider says, through the lifecycle: a success makes the job `finishing`."""
    from generations.lifecycle import provider_update

    if state == "succeeded":
        update.setdefault("video_url", "https://cdn.provider.example/v/video.mp4")
    return provider_update(generation.pk, Update(state=state, **update), source="test")


def finish(generation, state: str = "succeeded", **update):
    """Move a generation to `state` as a provider would, then run the outbox worker on its
    changes. A success gets its copy of the video from the sample file (no download: tests of
    the copy itself are in tests/results)."""
    from generations import followups, lifecycle
    from generations.models import Generation, GenerationChange

    provide(generation, state, **update)
    if state == "succeeded":
        copy = Generation.objects.get(pk=generation.pk)
        copy.video_file.save(f"{generation.pk}.mp4", ContentFile(SAMPLE_VIDEO.read_bytes()), save=False)
        Generation.objects.filter(pk=generation.pk).update(video_file=copy.video_file.name)
        lifecycle.result_copied(generation.pk)
    for change in GenerationChange.objects.filter(generation_id=generation.pk, processed_at=None):
        if change.to_stage != "finishing":
            followups.process_change(change.pk)
    return Generation.objects.get(pk=generation.pk)


def running_generation(tenant, **fields):
    fields.setdefault("status", "running")
    fields.setdefault("provider_task_id", "task-1")
    return make_generation(tenant, **fields)
