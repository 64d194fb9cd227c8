"""A scripted fake provider for lifecycle tests, so they pin our state machine, not a vendor.

`fake_providers` replaces the registry and the one transport choke point: each provider call
takes the next scripted outcome (a FakeResponse or a ProviderError). `queued` records
django-q2 enqueues instead of running them; `run_queued()` runs them like a worker would.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import respx

from generations import followups, outbound, providers, routing, tasks
from generations.models import Generation, GenerationChange
from generations.providers.base import (
    Adapter,
    Callback,
    CallbackRejected,
    Capabilities,
    ProviderError,
    Update,
)
from generations.spec import ASPECT_RATIOS, RESOLUTIONS, GenerationSpec
from tests.factories import fund

PRICE = 32  # 8 s at 720p without audio, from billing's default price table


@dataclass
class FakeRequest:
    method: str
    url: str
    content: bytes = b""


@dataclass
class FakeResponse:
    data: dict = field(default_factory=dict)
    status_code: int = 200

    @property
    def content(self) -> bytes:
        return json.dumps(self.data).encode()


class FakeAdapter(Adapter):
    protocol = "fake"
    default_capabilities = Capabilities(
        aspect_ratios=ASPECT_RATIOS,
        resolutions=RESOLUTIONS,
        durations=tuple(range(4, 13)),
        auto_duration=True,
    )

    def build_create(self, spec, callback_url):
        body = {"prompt": spec.prompt, "callback_url": callback_url, "api_key": self.api_key}
        return FakeRequest("POST", f"{self.base_url}/tasks", json.dumps(body).encode())

    def parse_create(self, response):
        return response.data["task_id"]

    def build_status(self, task_id):
        return FakeRequest("GET", f"{self.base_url}/tasks/{task_id}")

    def parse_status(self, response):
        return Update(**response.data, raw=response.data)

    def parse_callback(self, body, headers):
        try:
            data = json.loads(body)
            task_id, state = data["task_id"], data["state"]
        except (ValueError, KeyError, TypeError) as exc:
            raise CallbackRejected(f"unreadable: {exc}") from exc
        # Signed like Kie: "<secret>.<timestamp>" proves the sender, not the body.
        secret = self.options.get("secret")
        signature = headers.get("X-Signature") or ""
        if secret and signature.split(".")[0] != secret:
            raise CallbackRejected("signature does not match", code="bad_signature")
        return Callback(task_id=task_id, claimed=state, replay_key=signature if secret else None, raw=data)

    def build_cancel(self, task_id):
        return FakeRequest("DELETE", f"{self.base_url}/tasks/{task_id}") if self.capabilities.cancel else None

    @property
    def callbacks_are_signed(self):
        return bool(self.options.get("secret"))


class FakeProviders:
    def __init__(self):
        self.adapters: dict[str, FakeAdapter] = {}
        self.outcomes: list = []
        self.calls: list[FakeRequest] = []
        self.add("alpha")

    def add(self, slug, *, secret=None, **capabilities) -> FakeAdapter:
        caps = FakeAdapter.default_capabilities.with_overrides(capabilities)
        adapter = FakeAdapter(slug, f"https://{slug}.test", f"sk-{slug}-secret", capabilities=caps)
        adapter.options["secret"] = secret
        self.adapters[slug] = adapter
        return adapter

    def script(self, *outcomes):
        self.outcomes.extend(outcomes)

    def send(self, request):
        self.calls.append(request)
        assert self.outcomes, f"unexpected provider call {request.method} {request.url}"
        outcome = self.outcomes.pop(0)
        if callable(outcome):  # something happens while the call is in flight
            outcome = outcome(request)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    # The registry functions, same signatures as generations.providers.
    def get_adapter(self, slug):
        return self.adapters[slug]

    def choose(self, spec, requested="auto"):
        spec.check()
        return self.adapters[next(iter(self.adapters)) if requested == "auto" else requested]

    def failover_candidates(self, spec, after_slug):
        slugs = list(self.adapters)
        return [self.adapters[s] for s in slugs[slugs.index(after_slug) + 1 :]]


SAMPLE_VIDEO = (Path(__file__).resolve().parents[2] / "static" / "sandbox" / "sample.mp4").read_bytes()


@pytest.fixture
def fake_providers(monkeypatch):
    """The scripted providers; their results are served from https://cdn.test/ (the sample MP4),
    so the copy the lifecycle waits for is made for real, through the outbound guard."""
    router = respx.mock(assert_all_called=False)
    router.get(url__startswith="https://cdn.test/").mock(
        return_value=httpx.Response(200, headers={"Content-Type": "video/mp4"}, content=SAMPLE_VIDEO)
    )
    monkeypatch.setattr(outbound, "resolve", lambda host, port: ["93.184.216.34"])
    with router:
        yield _install(monkeypatch)


def _install(monkeypatch) -> FakeProviders:
    fake = FakeProviders()
    monkeypatch.setattr(providers, "get_adapter", fake.get_adapter)
    monkeypatch.setattr(providers, "choose", fake.choose)
    monkeypatch.setattr(routing, "choose", fake.choose)
    monkeypatch.setattr(providers, "failover_candidates", fake.failover_candidates)
    monkeypatch.setattr(providers.transport, "send", fake.send)
    return fake


@pytest.fixture
def queued(monkeypatch):
    """The tasks enqueued with django-q2, as (function name, generation id), in order."""
    jobs: list[tuple[str, str]] = []

    def fake_async_task(func, *args, **kwargs):
        jobs.append((func.rsplit(".", 1)[-1], *args))

    for module in ("lifecycle", "polling", "tasks"):
        monkeypatch.setattr(f"generations.{module}.async_task", fake_async_task)
    return jobs


TASKS = {
    "submit_generation": tasks.submit_generation,
    "poll_generation": tasks.poll_generation,
    "process_change": followups.process_change,
}


@pytest.fixture
def run_queued(queued, django_capture_on_commit_callbacks):
    """Run every enqueued task (and those they enqueue) like a worker, with the poller sweeping
    whatever is due at this instant (a failover, an approved job); returns the results of the
    lifecycle's tasks (the outbox worker's outcomes are left out)."""

    def waiting_changes() -> bool:
        # Changes made where on-commit callbacks never run (requests of the test client) wait
        # for the worker too, as followups.sweep() would find them.
        ids = GenerationChange.objects.filter(processed_at=None, claimed_until=None).values_list(
            "pk", flat=True
        )
        queued.extend(("process_change", pk) for pk in ids)
        return bool(ids)

    def run():
        results = []
        while queued or tasks.poll_due() or waiting_changes():
            name, *args = queued.pop(0)
            with django_capture_on_commit_callbacks(execute=True):
                result = TASKS[name](*args)
            if name != "process_change":
                results.append(result)
        return results

    return run


@pytest.fixture
def funded(tenant):
    fund(tenant, 1000)
    return tenant


@pytest.fixture
def create(funded, fake_providers, queued, django_capture_on_commit_callbacks):
    """create(**spec_fields) -> Generation, via the real service, then the poller's next sweep,
    which queues its submission (the create itself queues nothing)."""
    from generations.services import create_generation

    def make(provider="auto", tenant=None, **spec_fields):
        spec_fields.setdefault("prompt", "A cat yawning at the camera")
        with django_capture_on_commit_callbacks(execute=True):
            generation = create_generation(
                tenant or funded, spec=GenerationSpec(**spec_fields), provider=provider
            )
        tasks.poll_due()
        return generation

    return make


def reload(generation) -> Generation:
    return Generation.objects.get(pk=generation.pk)


def created(task_id="task-1"):
    return FakeResponse({"task_id": task_id})


def status(state, **fields):
    return FakeResponse({"state": state, **fields})


def refused(
    message="bad request", *, retryable=False, task_created=False, retry_after=None, code="bad_request"
):
    return ProviderError(
        message, retryable=retryable, task_created=task_created, retry_after=retry_after, code=code
    )
