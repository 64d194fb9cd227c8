"""Follow one job in the logs: every line about it, from the create request to the customer's
webhook, carries its generation id and tenant (ops.logs binds them for requests and tasks)."""

from __future__ import annotations

import logging

import httpx
import pytest
from django_q.conf import Conf
from prometheus_client import REGISTRY

from generations import tasks
from generations.models import Generation
from tests.webhooks.helpers import dns  # noqa: F401 - fixture: no real DNS in tests

pytestmark = pytest.mark.django_db

HOOK = "https://hooks.customer.example/seedance"
SAMPLE = b"\x00\x00\x00\x18ftypmp42" + b"\0" * 2048
FRAME = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.mark.usefixtures("dns")
def test_one_jobs_lines_carry_its_generation_id_from_create_to_webhook(
    api_client,
    funded,
    sandbox,
    monkeypatch,
    django_capture_on_commit_callbacks,
    respx_mock,
    caplog,
    settings,
    tmp_path,
):
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(Conf, "SYNC", True)  # the real django-q2 enqueue, tasks run inline
    respx_mock.post(HOOK).mock(return_value=httpx.Response(200))
    respx_mock.get(url__regex=r".*/static/sandbox/.*\.mp4").mock(
        return_value=httpx.Response(200, headers={"Content-Type": "video/mp4"}, content=SAMPLE)
    )
    respx_mock.get(url__regex=r".*/static/sandbox/.*\.png").mock(
        return_value=httpx.Response(200, headers={"Content-Type": "image/png"}, content=FRAME)
    )
    assert api_client.put("/api/v1/webhook", {"url": HOOK}, format="json").status_code == 200
    caplog.set_level(logging.INFO)
    caplog.clear()
    callbacks_timed = REGISTRY.get_sample_value("seedance_callback_to_visible_seconds_count") or 0

    with django_capture_on_commit_callbacks(execute=True):
        created = api_client.post(
            "/api/v1/generations", {"prompt": "A cat yawning", "provider": "sandbox"}, format="json"
        )
    generation_id = created.json()["id"]
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            tasks.poll_due()
            sandbox.deliver_due_callbacks()
    generation = Generation.objects.get(pk=generation_id)
    assert generation.status == "succeeded" and generation.video_file
    assert respx_mock.routes[0].called  # the webhook went out

    # The sandbox's own callback requests are the emulated provider talking, not our lines.
    about_jobs = [
        r
        for r in caplog.records
        if r.name.startswith(("generations", "ops.tasks"))
        and not r.name.startswith("generations.sandbox")
        and "/callbacks/" not in r.getMessage()
    ]
    assert about_jobs
    for record in about_jobs:
        assert record.generation_id == generation_id, (record.name, record.getMessage())
        assert record.tenant_id == funded.pk, (record.name, record.getMessage())
    names = {r.name for r in about_jobs}
    assert {"ops.tasks", "generations.providers.transport", "generations.results"} <= names
    webhook_lines = [r for r in about_jobs if r.name.startswith("generations.webhooks")]
    assert webhook_lines, names
    moves = [
        r.getMessage() for r in about_jobs if r.name == "generations.lifecycle" and "→" in r.getMessage()
    ]
    assert any(m.startswith("pending → queued") for m in moves) and any("→ succeeded" in m for m in moves), (
        moves
    )
    # The provider's callback made the new state visible, and how long that took was measured.
    assert (REGISTRY.get_sample_value("seedance_callback_to_visible_seconds_count") or 0) > callbacks_timed
