"""Saved payloads and adapters built directly (no settings), for the sans-IO adapter tests."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from generations.providers import ADAPTER_CLASSES
from generations.spec import GenerationSpec

DATA = Path(__file__).parent / "data"
BASE = "https://provider.test/prefix"
KEY = "secret-key"
PROMPT = "A cat yawning at the camera"
FIRST = "https://cdn.example.com/first.png"
LAST = "https://cdn.example.com/last.png"

SPECS = {
    "text_to_video": GenerationSpec(prompt=PROMPT),
    "first_frame": GenerationSpec(prompt=PROMPT, first_frame=FIRST),
    "first_last_frame": GenerationSpec(prompt=PROMPT, first_frame=FIRST, last_frame=LAST),
}


def load(slug: str, name: str) -> dict:
    return json.loads((DATA / slug / f"{name}.json").read_text())


def make(slug: str, **options):
    return ADAPTER_CLASSES[slug](slug, BASE, KEY, options=options)


def response(
    status: int = 200, body=None, *, slug: str | None = None, name: str | None = None
) -> httpx.Response:
    if name:
        body = load(slug, name)
    request = httpx.Request("GET", BASE)
    if isinstance(body, str | bytes):
        return httpx.Response(status, content=body, request=request)
    return httpx.Response(status, json=body, request=request)


def spec(kind: str, **changes) -> GenerationSpec:
    from dataclasses import replace

    return replace(SPECS[kind], **changes)


def sent_json(request: httpx.Request):
    return json.loads(request.content)
