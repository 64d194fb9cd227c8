"""Sending deliveries: retries with backoff, the log, auto-disable, redelivery, the sweep."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from generations.webhooks import delivery as sender
from generations.webhooks.delivery import deliver, redeliver
from generations.webhooks.models import WebhookDelivery, WebhookEndpoint
from generations.webhooks.tasks import sweep_deliveries
from tests.webhooks.helpers import finish, provide, running_generation

pytestmark = pytest.mark.django_db

URL = "https://hooks.customer.example/seedance"
START = "2026-03-01 12:00:00Z"


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def endpoint(tenant):
    return WebhookEndpoint.objects.create(tenant=tenant, url=URL)


@pytest.fixture
def failed_generation_delivery(endpoint, tenant, queued, dns, clock):
    finish(running_generation(tenant), "failed")
    return WebhookDelivery.objects.get()


def test_a_2xx_is_logged_as_delivered_with_status_latency_and_excerpt(
    failed_generation_delivery, respx_mock, monkeypatch
):
    ticks = iter([100.0, 100.25])
    monkeypatch.setattr(sender, "monotonic", lambda: next(ticks))
    respx_mock.post(URL).mock(return_value=httpx.Response(202, text="thanks " + "x" * 5000))

    assert deliver(failed_generation_delivery.pk) == "delivered"

    d = WebhookDelivery.objects.get()
    assert (d.state, d.attempts, d.status_code, d.latency_ms) == ("delivered", 1, 202, 250)
    assert d.response_excerpt.startswith("thanks ")
    assert len(d.response_excerpt) == sender.EXCERPT_BYTES  # the rest is never read
    assert d.delivered_at == timezone.now()
    assert d.next_attempt_at is None


def test_failures_retry_on_the_backoff_schedule_then_give_up(
    failed_generation_delivery, respx_mock, clock, settings
):
    settings.WEBHOOK_RETRY_SCHEDULE = [60, 300, 1800, 7200, 18000, 36000, 36000]
    route = respx_mock.post(URL).mock(return_value=httpx.Response(503, text="down"))
    pk = failed_generation_delivery.pk
    waits = []
    for _ in range(7):
        assert deliver(pk) == "retrying"
        d = WebhookDelivery.objects.get(pk=pk)
        wait = d.next_attempt_at - timezone.now()
        waits.append(int(wait.total_seconds()))
        # Not due a second early: the attempt is refused until the wait is over.
        clock.shift(wait - timedelta(seconds=1))
        assert deliver(pk) == "not_due"
        clock.shift(timedelta(seconds=1))
    assert deliver(pk) == "failed"

    d = WebhookDelivery.objects.get(pk=pk)
    assert waits == [60, 300, 1800, 7200, 18000, 36000, 36000]
    assert sum(waits) / 3600 == pytest.approx(27.6, abs=0.1)  # "about a day"
    assert (d.state, d.attempts, d.status_code, d.error) == ("failed", 8, 503, "HTTP 503")
    assert d.response_excerpt == "down"
    assert len(route.calls) == 8
    assert deliver(pk) == "not_due"


def test_the_default_schedule_spans_about_a_day():
    from django.conf import settings

    hours = sum(settings.WEBHOOK_RETRY_SCHEDULE) / 3600
    assert 20 <= hours <= 36
    assert settings.WEBHOOK_RETRY_SCHEDULE == sorted(settings.WEBHOOK_RETRY_SCHEDULE)


def test_a_timeout_is_a_failed_attempt(failed_generation_delivery, respx_mock):
    respx_mock.post(URL).mock(side_effect=httpx.ReadTimeout("slow"))
    assert deliver(failed_generation_delivery.pk) == "retrying"
    d = WebhookDelivery.objects.get()
    assert d.status_code is None
    assert "Timed out" in d.error


def test_a_redirect_is_not_followed(failed_generation_delivery, respx_mock):
    respx_mock.post(URL).mock(return_value=httpx.Response(302, headers={"Location": "http://10.0.0.1/"}))
    assert deliver(failed_generation_delivery.pk) == "retrying"
    d = WebhookDelivery.objects.get()
    assert d.error == "HTTP 302 (redirects are not followed)"


def test_a_destination_that_now_resolves_inside_fails_at_once(failed_generation_delivery, dns, respx_mock):
    dns["hooks.customer.example"] = ["10.1.2.3"]
    route = respx_mock.post(URL)
    assert deliver(failed_generation_delivery.pk) == "failed"
    d = WebhookDelivery.objects.get()
    assert "10.1.2.3" in d.error and "private address" in d.error
    assert not route.called


def test_two_workers_never_send_the_same_attempt(failed_generation_delivery, respx_mock):
    route = respx_mock.post(URL).mock(return_value=httpx.Response(200))
    assert sender.claim(failed_generation_delivery.pk)
    assert deliver(failed_generation_delivery.pk) == "not_due"  # the other worker holds the lease
    assert not route.called


def test_a_crashed_attempt_is_retried_by_the_sweep_after_its_lease(failed_generation_delivery, queued, clock):
    assert sender.claim(failed_generation_delivery.pk)  # ...and the worker dies here
    queued.clear()
    assert sweep_deliveries() == "enqueued 0"
    clock.shift(sender._lease())
    assert sweep_deliveries() == "enqueued 1"
    assert queued == [("generations.webhooks.delivery.deliver", (failed_generation_delivery.pk,))]


def test_the_endpoint_is_disabled_after_a_long_run_of_failures_and_owners_are_told(
    endpoint, tenant, queued, dns, clock, respx_mock, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    settings.WEBHOOK_DISABLE_AFTER_HOURS = 24
    respx_mock.post(URL).mock(return_value=httpx.Response(500))
    for n in range(4):
        finish(running_generation(tenant, provider_task_id=f"t{n}"), "failed")
    ids = list(WebhookDelivery.objects.order_by("pk").values_list("pk", flat=True))

    for pk in ids[:3]:
        deliver(pk)
    endpoint.refresh_from_db()
    # Three failures in a few seconds: a blip, not a dead endpoint.
    assert endpoint.consecutive_failures == 3 and endpoint.is_enabled

    clock.shift(timedelta(hours=24))
    with django_capture_on_commit_callbacks(execute=True):
        sender.deliver(ids[3])
    endpoint.refresh_from_db()
    assert not endpoint.is_enabled
    assert "4 failed attempts in a row" in endpoint.disabled_reason
    assert [m.to for m in mail.outbox] == [["alice@example.org"]]  # the owner only
    assert URL in mail.outbox[0].body

    # Pending deliveries stop, and new events are not written for a disabled endpoint.
    assert deliver(ids[0]) == "endpoint_disabled"
    finish(running_generation(tenant, provider_task_id="t9"), "failed")
    assert WebhookDelivery.objects.count() == 4


def test_a_success_resets_the_failure_run(endpoint, tenant, queued, dns, respx_mock):
    respx_mock.post(URL).mock(side_effect=[httpx.Response(500), httpx.Response(200)])
    finish(running_generation(tenant, provider_task_id="a"), "failed")
    finish(running_generation(tenant, provider_task_id="b"), "failed")
    first, second = WebhookDelivery.objects.order_by("pk")
    deliver(first.pk)
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 1
    deliver(second.pk)
    endpoint.refresh_from_db()
    assert (endpoint.consecutive_failures, endpoint.failing_since) == (0, None)


def test_redelivery_sends_the_same_message_again_as_a_new_log_row(
    failed_generation_delivery, respx_mock, queued, django_capture_on_commit_callbacks
):
    route = respx_mock.post(URL).mock(return_value=httpx.Response(200))
    deliver(failed_generation_delivery.pk)

    with django_capture_on_commit_callbacks(execute=True):
        copy = redeliver(WebhookDelivery.objects.get(pk=failed_generation_delivery.pk))
    assert ("generations.webhooks.delivery.deliver", (copy.pk,)) in queued
    assert deliver(copy.pk) == "delivered"

    first, second = (call.request for call in route.calls)
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.content == second.content
    assert copy.redelivery_of_id == failed_generation_delivery.pk
    assert WebhookDelivery.objects.count() == 2


def test_redelivery_goes_to_the_fixed_endpoint_url(failed_generation_delivery, endpoint, respx_mock):
    endpoint.url = "https://fixed.customer.example/hook"
    endpoint.save()
    copy = redeliver(failed_generation_delivery)
    assert copy.url == "https://fixed.customer.example/hook"


def test_redelivery_to_a_disabled_endpoint_is_refused(failed_generation_delivery, endpoint):
    endpoint.disabled_at = timezone.now()
    endpoint.save()
    with pytest.raises(sender.EndpointDisabled, match="re-enable"):
        redeliver(failed_generation_delivery)


def _run_outbox():
    from generations import followups
    from generations.models import GenerationChange

    while change := GenerationChange.objects.filter(processed_at=None).order_by("pk").first():
        followups.process_change(change.pk)


def test_a_success_webhook_is_written_once_the_video_is_copied_and_carries_our_url(
    endpoint, tenant, queued, dns, respx_mock, settings
):
    import json

    receiver = respx_mock.post(URL).mock(return_value=httpx.Response(200))
    respx_mock.get("https://cdn.provider.example/v/video.mp4").mock(
        return_value=httpx.Response(200, headers={"Content-Type": "video/mp4"}, content=b"\0\0\0\x18ftypmp42")
    )
    generation = running_generation(tenant)
    provide(generation, "succeeded")
    assert not WebhookDelivery.objects.exists()  # the provider is done, our copy is not

    _run_outbox()

    delivery = WebhookDelivery.objects.get()
    assert deliver(delivery.pk) == "delivered"
    sent = json.loads(receiver.calls.last.request.content)
    assert (sent["type"], sent["status"]) == ("generation.succeeded", "succeeded")
    assert sent["video_url"] == f"{settings.SITE_URL}/api/v1/generations/{generation.pk}/video"


def test_a_video_that_cannot_be_copied_is_a_failure_webhook_not_a_success(
    endpoint, tenant, queued, dns, respx_mock
):
    import json

    respx_mock.get("https://cdn.provider.example/v/video.mp4").mock(return_value=httpx.Response(404))
    generation = running_generation(tenant)
    provide(generation, "succeeded")

    _run_outbox()

    body = json.loads(WebhookDelivery.objects.get().body)
    assert (body["type"], body["status"], body["video_url"]) == ("generation.failed", "failed", None)
    assert body["error"]["code"] == "result_unavailable"
    assert body["cost"]["charged"] == 0
