"""Defects a walk through the portal found, each fixed and held here."""

import io
import re
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import ApiKey
from billing import services as billing
from billing.models import LedgerEntry
from generations import holds
from generations.models import Generation
from tests.factories import fund, make_generation, make_user, post_key_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_alice(client, tenant, alice):
    client.force_login(alice)
    return client


def png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x00" * width for _ in range(height))
    head = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + head + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def new_generation(client, **fields):
    data = {"prompt": "A cat yawning at the camera", "provider": "auto", "aspect_ratio": "16:9",
            "resolution": "720p", "duration": "8", **fields}  # fmt: skip
    return client.post("/generations/new/", data)


# --- Frames -------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["first_frame_url", "last_frame_url"])
@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.domain)",
        "file:///etc/passwd",
        "http://169.254.169.254/x.png",
        "data:text/html,x",
    ],
)
def test_hidden_frame_urls_go_through_the_image_checks(as_alice, tenant, field, url):
    fund(tenant, 1000)
    extra = {"first_frame_url": "https://example.org/a.png"} if field == "last_frame_url" else {}
    response = new_generation(as_alice, **{field: url, **extra})
    assert response.status_code == 422
    assert not Generation.objects.exists()
    assert url not in response.content.decode()


@pytest.mark.parametrize("size", [(100, 100), (2000, 400)])
def test_uploaded_frames_get_the_apis_image_checks(as_alice, tenant, size):
    fund(tenant, 1000)
    upload = SimpleUploadedFile("frame.png", png(*size), content_type="image/png")
    response = new_generation(as_alice, first_frame=upload)
    assert response.status_code == 422
    assert not Generation.objects.exists()
    assert billing.balance(tenant).available == 1000
    assert re.search(r"(width|height|aspect ratio)", response.content.decode())


def test_a_good_uploaded_frame_is_accepted(as_alice, tenant):
    fund(tenant, 1000)
    upload = SimpleUploadedFile("frame.png", png(640, 360), content_type="image/png")
    response = new_generation(as_alice, first_frame=upload)
    assert response.status_code == 302
    assert Generation.objects.get().first_frame


# --- API keys -----------------------------------------------------------------------------------


def test_reloading_after_creating_a_key_creates_no_second_key(as_alice, tenant):
    page = as_alice.get("/keys/").content.decode()
    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    first = as_alice.post("/keys/", {"name": "CI", "form_token": token})
    assert 'id="new-key-secret"' in first.content.decode()
    again = as_alice.post("/keys/", {"name": "CI", "form_token": token}, follow=True)
    assert 'id="new-key-secret"' not in again.content.decode()
    assert ApiKey.objects.filter(tenant=tenant).count() == 1


@pytest.mark.parametrize(
    "fields,error",
    [
        ({"monthly_credit_limit": str(10**30)}, "monthly_credit_limit"),
        ({"monthly_credit_limit": "9223372036854775808"}, "monthly_credit_limit"),
        ({"expires_on": "9999-12-31"}, "expires_on"),
    ],
)
def test_key_amounts_and_days_out_of_range_are_a_422(as_alice, tenant, fields, error):
    response = post_key_form(as_alice, {"name": "Big", **fields})
    assert response.status_code == 422
    assert f'id="{error}-error"' in response.content.decode()
    assert not ApiKey.objects.exists()


def test_grant_credits_refuses_an_amount_past_the_limit():
    from tests.factories import make_tenant

    tenant = make_tenant("Big Spender")
    with pytest.raises(CommandError, match="between 1 and"):
        call_command("grant_credits", tenant.slug, "9223372036854775807", stdout=io.StringIO())
    assert not LedgerEntry.objects.exists()


# --- Staff and refunds --------------------------------------------------------------------------


@pytest.fixture
def refunded(tenant):
    fund(tenant, 1000)
    generation = make_generation(tenant, hold=20)
    Generation.objects.filter(pk=generation.pk).update(status="succeeded", finished_at=timezone.now())
    holds.capture(generation, 20)
    staff = make_user("sam.staff@seedance.example", is_staff=True)
    assert holds.refund(generation, actor=staff, note="Refunded by staff")
    return generation


def test_a_staff_members_email_never_reaches_the_tenant(as_alice, refunded):
    page = as_alice.get("/billing/").content.decode()
    assert "sam.staff@seedance.example" not in page
    assert "Seedance support" in page
    csv = b"".join(as_alice.get("/billing/ledger.csv").streaming_content).decode()
    assert "sam.staff@seedance.example" not in csv
    assert "Seedance support" in csv


def test_a_refunded_jobs_cost_box_says_refunded(as_alice, refunded):
    page = as_alice.get(f"/generations/{refunded.id}/").content.decode()
    assert "Charged 20 credits" not in re.sub(r"<[^>]+>|\s+", " ", page).replace("  ", " ")
    assert "Refunded" in page


def test_ledger_paging_with_an_overlong_number_is_not_a_server_error(as_alice, tenant):
    assert as_alice.get("/billing/", {"before": "9" * 40}).status_code in (200, 404)
