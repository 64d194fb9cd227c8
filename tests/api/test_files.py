"""Images from disk on every provider: POST /api/v1/files, data: URIs, our hosted copies (public,
unguessable, expiring) for providers that take URLs only, and conversion of formats they lack."""

from __future__ import annotations

import base64
import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image
from pillow_heif import register_heif_opener

from generations import files
from generations.models import Generation, UploadedImage
from generations.sandbox.models import SandboxTask
from generations.tasks import submit_generation

URL_ONLY = ["kie", "apikley", "aizfw"]
register_heif_opener()  # so the tests can write HEIC


def image_bytes(fmt="PNG", size=(640, 360), mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (200, 80, 40)).save(out, format=fmt)
    return out.getvalue()


def as_data_uri(data: bytes, kind: str) -> str:
    return f"data:image/{kind};base64,{base64.b64encode(data).decode()}"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def ready(sandbox, funded):
    return funded


def upload(client, data: bytes, name="frame.png"):
    return client.post("/api/v1/files", {"file": SimpleUploadedFile(name, data)}, format="multipart")


def sent_image_url(task: SandboxTask) -> str:
    """The image URL the provider received, in its own protocol's place."""
    request = task.request
    if "input" in request:  # Kie and Apikley
        return request["input"]["input_urls"][0]
    return request["content"][1]["image_url"]["url"]  # aizfw


def fetch_anonymously(url: str, settings):
    return Client().get(url.removeprefix(settings.SITE_URL))


# --- POST /api/v1/files ---------------------------------------------------------------------------


def test_an_upload_answers_an_id_and_a_url_and_is_the_tenants_alone(api_client, other_api_client, funded):
    response = upload(api_client, image_bytes())
    assert response.status_code == 201
    body = response.json()
    assert body["id"].startswith("file_") and body["kind"] == "png"
    assert (body["width"], body["height"]) == (640, 360)
    assert api_client.get(f"/api/v1/files/{body['id']}").json()["id"] == body["id"]
    assert other_api_client.get(f"/api/v1/files/{body['id']}").status_code == 404


@pytest.mark.parametrize(
    ("data", "words"),
    [(b"not an image", "not a jpeg/png"), (image_bytes(size=(200, 200)), "300 to 6000")],
)
def test_an_upload_gets_the_same_checks_as_a_data_uri(api_client, funded, data, words):
    response = upload(api_client, data)
    assert response.status_code == 422
    assert words in response.json()["error"]["details"]["file"]
    assert not UploadedImage.objects.exists()


@pytest.mark.parametrize("bad", ["file_%00", "file_" + "z" * 300, "gen_01jd3q7m2k8r5t0v9w4x6y1z3a"])
def test_a_malformed_file_id_is_a_json_404(api_client, funded, bad):
    response = api_client.get(f"/api/v1/files/{bad}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_an_upload_without_a_file_names_the_field(api_client, funded):
    response = api_client.post("/api/v1/files", {}, format="multipart")
    assert response.status_code == 422
    assert "file" in response.json()["error"]["details"]


def test_another_tenants_file_cannot_be_used(api_client, other_api_client, ready):
    file_id = upload(other_api_client, image_bytes()).json()["id"]
    response = api_client.post(
        "/api/v1/generations", {"prompt": "A cat", "first_frame": file_id}, format="json"
    )
    assert response.status_code == 422
    assert "no such file" in response.json()["error"]["details"]["first_frame"]
    assert not Generation.objects.exists()


# --- Every provider takes an image from disk ------------------------------------------------------


def _run(api_client, provider, first_frame) -> SandboxTask:
    response = api_client.post(
        "/api/v1/generations",
        {"prompt": "A cat yawning", "provider": provider, "first_frame": first_frame},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert submit_generation(response.json()["id"]) == "submitted"
    return SandboxTask.objects.get(provider=provider)


@pytest.mark.parametrize("provider", URL_ONLY)
@pytest.mark.parametrize("source", ["data_uri", "upload"])
def test_an_image_from_disk_runs_and_its_url_works_until_it_expires(
    api_client, ready, settings, time_machine, provider, source
):
    png = image_bytes()
    value = as_data_uri(png, "png") if source == "data_uri" else upload(api_client, png).json()["id"]

    url = sent_image_url(_run(api_client, provider, value))

    assert url.startswith(f"{settings.SITE_URL}/files/")
    served = fetch_anonymously(url, settings)
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content) == png
    # Not guessable: another token, or the same one tampered with, serves nothing.
    assert (
        fetch_anonymously(url[:-2] + ("aa" if not url.endswith("aa") else "bb"), settings).status_code == 404
    )
    # It works while the job may run (its deadline), then stops by itself.
    time_machine.move_to(timezone.now() + timedelta(hours=settings.GENERATION_DEADLINE_HOURS, minutes=1))
    assert fetch_anonymously(url, settings).status_code == 404


def test_the_upload_url_works_as_an_image_too(api_client, ready, settings):
    body = upload(api_client, image_bytes()).json()
    url = sent_image_url(_run(api_client, "kie", body["url"]))
    assert fetch_anonymously(url, settings).status_code == 200


def test_a_provider_that_takes_base64_gets_the_data_uri_itself(api_client, ready):
    value = as_data_uri(image_bytes(), "png")
    task = _run(api_client, "jiekou", value)
    assert task.request["image"] == value
    assert not UploadedImage.objects.exists()


def test_a_format_the_provider_lacks_is_converted(api_client, ready, settings):
    bmp = image_bytes("BMP")
    url = sent_image_url(_run(api_client, "kie", as_data_uri(bmp, "bmp")))
    served = fetch_anonymously(url, settings)
    assert served["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(b"".join(served.streaming_content))) as image:
        assert (image.format, image.size) == ("JPEG", (640, 360))


@pytest.mark.parametrize(("provider", "served_as"), [("kie", "image/jpeg"), ("aizfw", "image/heic")])
def test_a_heic_photo_is_converted_only_where_it_is_not_taken(
    api_client, ready, settings, provider, served_as
):
    heic = as_data_uri(image_bytes("HEIF"), "heic")
    url = sent_image_url(_run(api_client, provider, heic))
    assert fetch_anonymously(url, settings)["Content-Type"] == served_as


def test_a_format_the_provider_takes_is_left_alone(api_client, ready):
    bmp = as_data_uri(image_bytes("BMP"), "bmp")
    assert _run(api_client, "jiekou", bmp).request["image"] == bmp


def test_a_refused_create_keeps_no_copy(api_client, tenant, sandbox, tmp_path):
    response = api_client.post(  # no credits: 402
        "/api/v1/generations",
        {"prompt": "A cat", "provider": "kie", "first_frame": as_data_uri(image_bytes(), "png")},
        format="json",
    )
    assert response.status_code == 402
    assert not UploadedImage.objects.exists()
    assert not list(tmp_path.rglob("*.png"))


def test_expired_files_are_purged(api_client, ready, time_machine, tmp_path):
    upload(api_client, image_bytes())
    assert files.purge_expired() == "deleted 0 image(s)"
    time_machine.move_to(timezone.now() + timedelta(days=8))
    assert files.purge_expired() == "deleted 1 image(s)"
    assert not UploadedImage.objects.exists() and not list(tmp_path.rglob("*.png"))
