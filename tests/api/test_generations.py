from datetime import timedelta

import pytest
from django.utils import timezone

from billing.services import balance
from generations.models import Generation, Status
from tests.api.conftest import PRICE, data_uri, png_bytes
from tests.factories import make_generation

URL = "/api/v1/generations"


def create(client, body=None, **headers):
    return client.post(
        URL, body if body is not None else {"prompt": "A cat yawning"}, format="json", **headers
    )


# --- create --------------------------------------------------------------------------------------


def test_it_creates_a_generation_and_holds_its_price(api_client, funded):
    response = create(
        api_client, {"prompt": "A cat yawning at the camera", "duration": 8, "resolution": "720p"}
    )
    assert response.status_code == 201
    body = response.json()
    generation = Generation.objects.get(pk=body["id"])
    assert generation.tenant == funded
    assert body["id"].startswith("gen_")
    assert body["status"] == "pending"
    assert body["cost"] == {"quoted": PRICE, "held": PRICE, "charged": 0}
    assert body["video_url"] is None and body["error"] is None
    assert body["prompt"] == "A cat yawning at the camera"
    assert balance(funded).available == 1000 - PRICE


def test_it_records_the_key_that_created_it(api_client, api_key, funded):
    body = create(api_client).json()
    assert Generation.objects.get(pk=body["id"]).created_by_key == api_key[0]


def test_it_refuses_without_credits_and_says_how_many(api_client, tenant):
    response = create(api_client)
    assert response.status_code == 402
    error = response.json()["error"]
    assert error["code"] == "insufficient_credits"
    assert error["details"] == {"required": PRICE, "available": 0}
    assert not Generation.objects.exists()


def test_it_names_unknown_fields(api_client, funded):
    response = create(api_client, {"prompt": "A cat yawning", "durration": 8, "colour": "red"})
    assert response.status_code == 422
    assert response.json()["error"]["details"] == {"colour": "Unknown field.", "durration": "Unknown field."}
    assert not Generation.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("prompt", "ab"),
        ("prompt", 12345),
        ("duration", "8"),
        ("duration", 3),
        ("duration", True),
        ("aspect_ratio", "5:4"),
        ("resolution", "4k"),
        ("generate_audio", "yes"),
        ("seed", 2**32),
        ("provider", "nope"),
        ("callback_url", "not a url"),
        ("first_frame", "ftp://example.com/a.png"),
        ("first_frame", "https://example.com/clip.mp4"),
    ],
)
def test_it_names_the_bad_field(api_client, funded, field, value):
    body = {"prompt": "A cat yawning", field: value}
    response = create(api_client, body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["details"]
    assert field in error["message"]
    assert not Generation.objects.exists()


def test_it_needs_a_first_frame_for_a_last_frame(api_client, funded):
    response = create(api_client, {"prompt": "A cat yawning", "last_frame": "https://example.com/b.png"})
    assert response.status_code == 422
    assert "last_frame" in response.json()["error"]["details"]


def test_it_refuses_a_spec_the_named_provider_cannot_honour(api_client, funded):
    # Kie offers no "adaptive" aspect ratio (Kie, "Seedance 1.5 Pro I2V api call for Kie").
    response = create(api_client, {"prompt": "A cat yawning", "provider": "kie", "aspect_ratio": "adaptive"})
    assert response.status_code == 422
    assert "aspect_ratio" in response.json()["error"]["details"]
    assert balance(funded).held == 0


def test_it_refuses_a_body_that_is_not_an_object(api_client, funded):
    response = create(api_client, ["prompt"])
    assert response.status_code == 422


def test_it_refuses_malformed_json(api_client, funded):
    response = api_client.post(URL, b"{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_request"


def test_it_refuses_other_media_types(api_client, funded):
    response = api_client.post(URL, b"prompt=hello", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_it_refuses_a_suspended_tenant(api_client, funded):
    funded.suspended = True
    funded.save()
    response = create(api_client)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "tenant_suspended"


def test_it_accepts_a_data_uri_image_and_does_not_echo_its_payload(api_client, funded):
    image = data_uri(png_bytes(1280, 720))
    response = create(api_client, {"prompt": "A cat yawning", "first_frame": image, "provider": "sandbox"})
    assert response.status_code == 201, response.json()
    assert response.json()["first_frame"].startswith("data:image/png;base64,[")
    assert Generation.objects.get().first_frame == image


def test_it_names_the_image_that_is_too_small(api_client, funded):
    body = {"prompt": "A cat yawning", "first_frame": data_uri(png_bytes(200, 200)), "provider": "sandbox"}
    response = create(api_client, body)
    assert response.status_code == 422
    assert "300" in response.json()["error"]["details"]["first_frame"]


# --- list ----------------------------------------------------------------------------------------


def test_it_lists_only_the_tenants_generations_newest_first(api_client, tenant, other_tenant):
    now = timezone.now()
    older = make_generation(tenant, created_at=now - timedelta(hours=1))
    newer = make_generation(tenant, created_at=now)
    make_generation(other_tenant)
    body = api_client.get(URL).json()
    assert [g["id"] for g in body["results"]] == [newer.id, older.id]


def test_it_pages_with_a_cursor(api_client, tenant):
    now = timezone.now()
    made = [make_generation(tenant, created_at=now - timedelta(minutes=i)) for i in range(5)]
    first = api_client.get(URL, {"limit": 2}).json()
    assert [g["id"] for g in first["results"]] == [made[0].id, made[1].id]
    second = api_client.get(first["next"]).json()
    assert [g["id"] for g in second["results"]] == [made[2].id, made[3].id]


def test_it_filters(api_client, tenant):
    now = timezone.now()
    done = make_generation(tenant, status=Status.SUCCEEDED, created_at=now - timedelta(days=2))
    running = make_generation(tenant, status=Status.RUNNING, provider="kie", created_at=now)
    assert [g["id"] for g in api_client.get(URL, {"status": "succeeded"}).json()["results"]] == [done.id]
    assert [g["id"] for g in api_client.get(URL, {"provider": "kie"}).json()["results"]] == [running.id]
    after = (now - timedelta(days=1)).isoformat()
    assert [g["id"] for g in api_client.get(URL, {"created_after": after}).json()["results"]] == [running.id]
    assert [g["id"] for g in api_client.get(URL, {"created_before": after}).json()["results"]] == [done.id]


@pytest.mark.parametrize(
    ("field", "value"),
    [("status", "done"), ("created_after", "yesterday"), ("created_before", "2026-13-01"), ("limit", "0")],
)
def test_it_names_a_bad_filter(api_client, tenant, field, value):
    response = api_client.get(URL, {field: value})
    assert response.status_code == 422
    assert field in response.json()["error"]["details"]


def test_it_names_a_damaged_cursor(api_client, tenant):
    response = api_client.get(URL, {"cursor": "garbage"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "invalid_cursor"
    assert "cursor" in response.json()["error"]["details"]


# --- one, cancel ---------------------------------------------------------------------------------


def test_it_shows_one_generation(api_client, tenant):
    generation = make_generation(tenant, status=Status.FAILED, error_code="boom", error_message="It broke.")
    body = api_client.get(f"{URL}/{generation.id}").json()
    assert body["id"] == generation.id
    assert body["error"] == {"code": "boom", "message": "It broke."}


def test_it_links_our_copy_of_the_video_once_it_exists(api_client, tenant, settings):
    generation = make_generation(tenant, status=Status.SUCCEEDED, video_file="results/2026/01/v.mp4")
    body = api_client.get(f"{URL}/{generation.id}").json()
    assert body["video_url"] == f"{settings.SITE_URL}/api/v1/generations/{generation.id}/video"
    assert body["last_frame_url"] is None


def test_a_hidden_result_has_no_video_url(api_client, tenant):
    generation = make_generation(
        tenant, status=Status.SUCCEEDED, video_file="results/2026/01/v.mp4", hidden_at=timezone.now()
    )
    assert api_client.get(f"{URL}/{generation.id}").json()["video_url"] is None


def test_another_tenants_generation_is_not_found(api_client, other_tenant):
    theirs = make_generation(other_tenant)
    for response in (api_client.get(f"{URL}/{theirs.id}"), api_client.post(f"{URL}/{theirs.id}/cancel")):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert Generation.objects.get(pk=theirs.pk).status == Status.PENDING


def test_an_unknown_id_is_not_found(api_client, tenant):
    assert api_client.get(f"{URL}/gen_nope").status_code == 404


def test_it_cancels_and_releases_the_hold(api_client, funded):
    generation_id = create(api_client).json()["id"]
    response = api_client.post(f"{URL}/{generation_id}/cancel")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["cost"]["charged"] == 0
    assert balance(funded).available == 1000


def test_it_will_not_cancel_a_finished_generation(api_client, tenant):
    generation = make_generation(tenant, status=Status.SUCCEEDED)
    response = api_client.post(f"{URL}/{generation.id}/cancel")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_cancellable"
