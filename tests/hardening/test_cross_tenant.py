"""The audit's cross-tenant sweep, repeated: every portal and API URL that takes an id, given
the id of another team's row, is a 404 and changes nothing; the owning team's own request
works, so the 404 is about the team and not a broken fixture. A URL with an id that is added
later without a row in SWEEP (or a reason in NOT_TENANT_IDS) fails
test_every_url_with_an_id_is_swept."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Invitation
from billing.payments.models import Payment
from generations import files
from generations.models import UploadedImage
from generations.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.api.conftest import png_bytes
from tests.badinput.test_portal_forms import assert_unchanged, snapshot
from tests.factories import fund, make_api_key, make_generation

pytestmark = pytest.mark.django_db

VIDEO = b"\x00\x00\x00\x18ftypmp42" + b"\1" * 100

# (route as Django prints it, method, surface, path with {placeholders}, query)
SWEEP = [
    ("generations/<genid:generation_id>/", "get", "portal", "/generations/{gen}/", {}),
    ("generations/<genid:generation_id>/live/", "get", "portal", "/generations/{gen}/live/", {}),
    ("generations/<genid:generation_id>/row/", "get", "portal", "/generations/{gen}/row/", {}),
    ("generations/<genid:generation_id>/rerun/", "post", "portal", "/generations/{gen}/rerun/", {}),
    ("generations/<genid:generation_id>/rerun/new-seed/", "post", "portal", "/generations/{gen}/rerun/new-seed/", {}),
    ("generations/<genid:generation_id>/inputs/<int:index>", "get", "portal", "/generations/{gen}/inputs/0", {}),
    ("results/<genid:generation_id>/poster", "get", "portal", "/results/{gen}/poster", {}),
    ("generations/<genid:generation_id>/cancel/", "post", "portal", "/generations/{running}/cancel/", {}),
    ("results/<genid:generation_id>/video", "get", "portal", "/results/{gen}/video", {}),
    ("results/<genid:generation_id>/last-frame", "get", "portal", "/results/{gen}/last-frame", {}),
    ("keys/<rowid:key_id>/revoke/", "post", "portal", "/keys/{key}/revoke/", {}),
    ("team/invitations/<rowid:invitation_id>/cancel/", "post", "portal", "/team/invitations/{invitation}/cancel/", {}),
    ("team/members/<rowid:membership_id>/role/", "post", "portal", "/team/members/{member}/role/", {"role": "viewer"}),
    ("team/members/<rowid:membership_id>/remove/", "post", "portal", "/team/members/{member}/remove/", {}),
    ("generations/new/files/<str:file_id>/", "get", "portal", "/generations/new/files/{file}/", {}),
    ("billing/payments/<int:pk>/", "get", "portal", "/billing/payments/{payment}/", {}),
    ("webhooks/deliveries/<rowid:delivery_id>/", "get", "portal", "/webhooks/deliveries/{delivery}/", {}),
    ("webhooks/deliveries/<rowid:delivery_id>/redeliver/", "post", "portal",
     "/webhooks/deliveries/{delivery}/redeliver/", {}),
    (None, "get", "portal", "/generations/new/", {"from": "{gen}"}),
    ("api/v1/generations/<genid:generation_id>", "get", "api", "/api/v1/generations/{gen}", {}),
    ("api/v1/generations/<genid:generation_id>/cancel", "post", "api", "/api/v1/generations/{running}/cancel", {}),
    ("api/v1/generations/<genid:generation_id>/video", "get", "api", "/api/v1/generations/{gen}/video", {}),
    ("api/v1/generations/<genid:generation_id>/last-frame", "get", "api", "/api/v1/generations/{gen}/last-frame", {}),
    ("api/v1/generations/<genid:generation_id>/poster", "get", "api", "/api/v1/generations/{gen}/poster", {}),
    ("api/^v1/files/(?P<file_id>file_[0-9a-z]{26})$", "get", "api", "/api/v1/files/{file}", {}),
    ("api/v1/webhook/deliveries/<rowid:delivery_id>/redeliver", "post", "api",
     "/api/v1/webhook/deliveries/{delivery}/redeliver", {}),
    (None, "get", "api", "/api/v1/jobs/recordInfo", {"taskId": "{gen}"}),
]  # fmt: skip

# Routes with an id that is not a team's row id, and why they are not swept here.
NOT_TENANT_IDS = {
    "files/<str:token>": "a signed, expiring token that providers fetch without logging in",
    "callbacks/<slug:provider>/<token:token>/": "a provider's callback, its token is the credential",
    "accounts/invitations/<token:token>/": "a secret link for one email address (tests/portal/test_team.py)",
    "generations/new/frames/<str:role>/": "a frame's role (first_frame, last_frame); it stores a new upload",
}


def swept_routes() -> set[str]:
    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern)

    return {
        route
        for route in walk(get_resolver().url_patterns)
        if ("<" in route or "(?P" in route)
        and not route.startswith(("admin/", "sandbox/", "accounts/^"))  # staff; test doubles; allauth's keys
    }


def test_every_url_with_an_id_is_swept():
    swept = {route for route, *_ in SWEEP if route}
    assert swept_routes() - swept - set(NOT_TENANT_IDS) == set()


@pytest.fixture
def rows(tenant, alice, bob):
    """One of everything in alice's team, by placeholder."""
    fund(tenant, 1000)
    first_frame = "data:image/png;base64," + base64.b64encode(png_bytes(640, 360)).decode()
    generation = make_generation(
        tenant, status="succeeded", video_url="https://cdn.provider.example/v.mp4", first_frame=first_frame
    )
    generation.video_file.save(f"{generation.pk}.mp4", ContentFile(VIDEO))
    generation.last_frame_file.save(f"{generation.pk}-last-frame.png", ContentFile(b"\x89PNG\r\n\x1a\n"))
    running = make_generation(tenant, hold=20, status="running")
    endpoint = WebhookEndpoint.objects.create(
        tenant=tenant, url="https://hooks.example.org/x", secret="whsec_x"
    )
    delivery = WebhookDelivery.objects.create(
        tenant=tenant, endpoint=endpoint, generation=generation, target="endpoint",
        url=endpoint.url, event_type="generation.succeeded", webhook_id="msg_1", body="{}", state="failed",
    )  # fmt: skip
    image = files.store(
        tenant, png_bytes(640, 360), "png", source=UploadedImage.Source.UPLOAD,
        expires_at=timezone.now() + timedelta(hours=1),
    )  # fmt: skip
    return {
        "gen": generation.pk,
        "running": running.pk,
        "key": make_api_key(tenant, "deploy")[0].pk,
        "invitation": Invitation.objects.create(tenant=tenant, email="x@example.org", invited_by=alice).pk,
        "member": tenant.memberships.get(user=bob).pk,
        "payment": Payment.objects.create(tenant=tenant, credits=500, currency="usd", amount=500).pk,
        "delivery": delivery.pk,
        "file": image.pk,
    }


def clients(user, key: str) -> dict:
    portal = Client()
    portal.force_login(user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return {"portal": portal, "api": api}


def request(client, method: str, path: str, query: dict, rows: dict):
    path = path.format(**rows)
    query = {name: value.format(**rows) for name, value in query.items()}
    if method == "get":
        return client.get(path, query)
    return client.post(path, query)


@pytest.mark.parametrize("route,method,surface,path,query", SWEEP, ids=[s[3] + str(s[4]) for s in SWEEP])
def test_another_teams_id_is_a_404(rows, other_tenant, charlie, route, method, surface, path, query):
    stranger = clients(charlie, make_api_key(other_tenant, "charlie")[1])[surface]
    before = snapshot()
    response = request(stranger, method, path, query, rows)
    assert response.status_code == 404, response.content[:300]
    assert_unchanged(before)


@pytest.mark.parametrize(
    "route,method,surface,path,query",
    [s for s in SWEEP if s[1] == "get"],
    ids=[s[3] for s in SWEEP if s[1] == "get"],
)
def test_the_owning_team_reads_the_same_urls(
    rows, tenant, alice, api_key, route, method, surface, path, query
):
    owner = clients(alice, api_key[1])[surface]
    response = request(owner, method, path, query, rows)
    assert response.status_code == 200, response.content[:300]


def test_another_teams_file_cannot_be_used_as_a_frame(rows, other_tenant, charlie):
    fund(other_tenant, 1000)
    stranger = clients(charlie, make_api_key(other_tenant, "charlie")[1])
    body = {"prompt": "A cat yawning at the camera", "first_frame": rows["file"]}
    before = snapshot()
    response = stranger["api"].post("/api/v1/generations", body, format="json")
    assert response.status_code == 422
    assert "no such file" in response.json()["error"]["details"]["first_frame"]
    # The portal carries a chosen file in its hidden first_frame_file field: another team's is
    # not found, so the form asks for the image again.
    page = stranger["portal"].post("/generations/new/", {**body, "first_frame_file": rows["file"], "provider": "auto",
                                                       "aspect_ratio": "16:9", "resolution": "720p", "duration": "8"})  # fmt: skip
    assert page.status_code == 422
    assert rows["file"] not in page.content.decode()
    assert_unchanged(before)


def test_another_teams_deliveries_are_not_listed(rows, other_tenant):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {make_api_key(other_tenant, 'charlie')[1]}")
    response = api.get("/api/v1/webhook/deliveries", {"generation_id": rows["gen"]})
    assert response.status_code in (200, 404)
    assert "msg_1" not in response.content.decode()
