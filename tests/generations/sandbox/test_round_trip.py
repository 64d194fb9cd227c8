"""Every adapter against the in-process sandbox: create, poll to success or failure, callback."""

from __future__ import annotations

import pytest

from generations import providers
from generations.providers import transport
from generations.providers.base import State
from generations.spec import GenerationSpec

SLUGS = ["kie", "apikley", "kkiai", "ark", "aizfw", "jiekou", "sandbox"]
FIRST = "https://cdn.example.com/first.png"
LAST = "https://cdn.example.com/last.png"


def spec(prompt="A cat yawning at the camera", images=0, **kw):
    frames = {"first_frame": FIRST, "last_frame": LAST} if images == 2 else {"first_frame": FIRST} if images else {}
    return GenerationSpec(prompt=prompt, aspect_ratio="16:9", resolution="720p", duration=8, **frames, **kw)


def run(slug, job, callback_url=None):
    adapter = providers.get_adapter(slug)
    task_id = adapter.parse_create(transport.send(adapter.build_create(job, callback_url)))
    return adapter, task_id, adapter.parse_status(transport.send(adapter.build_status(task_id)))


@pytest.mark.parametrize("slug", SLUGS)
@pytest.mark.parametrize("images", [0, 1, 2])
def test_text_one_and_two_images_succeed(sandbox, slug, images):
    adapter, task_id, update = run(slug, spec(images=images))

    assert update.state == State.SUCCEEDED
    assert update.video_url == f"{sandbox.site_url}/static/sandbox/sample.mp4"
    assert sandbox.tasks.get(pk=task_id).provider == (slug if slug != "sandbox" else "ark")
