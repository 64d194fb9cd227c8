"""The webhooks page's tools: send a test event, see a delivery, verify signatures with the
page's own snippets (run as shown, in Python and in Node)."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess

import httpx
import pytest

from accounts.models import AuditEvent
from generations.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

URL = "https://hooks.customer.example/seedance"


@pytest.fixture
def owner_client(client, alice, tenant):
    client.login(email=alice.email, password=PASSWORD)
    return client


@pytest.fixture
def endpoint(tenant):
    return WebhookEndpoint.objects.create(tenant=tenant, url=URL)


def snippet(page: str, element_id: str) -> str:
    return html.unescape(re.search(rf'<pre id="{element_id}"[^>]*>(.*?)</pre>', page, re.DOTALL).group(1))


def test_send_test_event_posts_a_signed_message_and_shows_the_answer(owner_client, endpoint, dns, respx_mock):
    receiver = respx_mock.post(URL).mock(return_value=httpx.Response(202, text='{"ok": true}'))
    response = owner_client.post("/webhooks/test/", follow=True)
    sent = receiver.calls.last.request
    assert json.loads(sent.content)["type"] == "webhook.test"
    delivery = WebhookDelivery.objects.get(event_type="webhook.test")
    assert delivery.state == WebhookDelivery.State.DELIVERED and delivery.status_code == 202
    page = response.content.decode()
    assert "Test event delivered: your endpoint answered 202." in page
    assert '"type": "webhook.test"' in html.unescape(page)  # the body we sent, pretty-printed
    assert '{"ok": true}' in html.unescape(page)  # and what came back
    assert AuditEvent.objects.filter(action="webhook.test", tenant=endpoint.tenant).count() == 1


def test_a_refused_test_event_says_why(owner_client, endpoint, dns, respx_mock):
    respx_mock.post(URL).mock(return_value=httpx.Response(500, text="boom"))
    page = owner_client.post("/webhooks/test/", follow=True).content.decode()
    assert "The test event was not accepted: HTTP 500" in page
    assert "boom" in page


def test_no_test_event_without_an_endpoint(owner_client, tenant):
    page = owner_client.post("/webhooks/test/", follow=True).content.decode()
    assert "Save an endpoint URL first." in page
    assert not WebhookDelivery.objects.exists()


def test_another_teams_delivery_is_a_404(client, charlie, other_tenant, endpoint, dns, respx_mock):
    respx_mock.post(URL).mock(return_value=httpx.Response(200))
    from generations.webhooks.services import send_test_event

    delivery = send_test_event(endpoint.tenant)
    client.login(email=charlie.email, password=PASSWORD)
    assert client.get(f"/webhooks/deliveries/{delivery.pk}/").status_code == 404


def test_the_page_snippets_verify_a_real_delivery(owner_client, endpoint, dns, respx_mock):
    receiver = respx_mock.post(URL).mock(return_value=httpx.Response(200))
    owner_client.post("/webhooks/test/")
    request = receiver.calls.last.request
    headers = {
        name: request.headers[name] for name in ("webhook-id", "webhook-timestamp", "webhook-signature")
    }
    page = owner_client.get("/webhooks/").content.decode()

    namespace: dict = {}
    exec(snippet(page, "verify-python"), namespace)  # noqa: S102 - the page's own code, as a user runs it
    assert namespace["verify"](endpoint.secret, headers, request.content) is True
    assert namespace["verify"](endpoint.secret, headers, request.content + b" ") is False

    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed")
    program = snippet(page, "verify-node") + (
        "\nconst [secret, headers, body] = JSON.parse(process.argv[1]);"
        "\nconsole.log(verify(secret, headers, body), verify(secret, headers, body + ' '));"
    )
    args = json.dumps([endpoint.secret, headers, request.content.decode()])
    out = subprocess.run([node, "-e", program, args], capture_output=True, text=True, check=True, timeout=20)
    assert out.stdout.split() == ["true", "false"]
