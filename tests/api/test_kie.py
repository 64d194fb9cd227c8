"""The Kie-compatible surface, driven with the request example of Kie's page "Seedance 1.5 Pro I2V api call for Kie"."""

import json

import pytest
from django.utils import timezone

from generations.api.kie import kie_callback, kie_callback_body
from generations.api.models import KieTask
from generations.models import Generation, Status
from tests.factories import make_generation

CREATE = "/api/v1/jobs/createTask"
RECORD = "/api/v1/jobs/recordInfo"

# Seed 000's Python example, verbatim apart from the base URL and key.
SEED_000_PAYLOAD = {
    "model": "bytedance/seedance-1.5-pro",
    "callBackUrl": "https://your-domain.com/api/callback",
    "input": {
        "prompt": "In a Chinese-English communication scenario,  a 70-year-old  old man said kindly to the "
        "child:  Good boy, study hard where you are in China !  The child happily replied in Chinese:  "
        "Grandpa, I'll come to accompany you when I finish my studies in China . Then the old man stroked "
        "the child's head ",
        "input_urls": ["https://static.aiquickdraw.com/tools/example/1766556007862_Y451Ehaf.png"],
        "aspect_ratio": "1:1",
        "resolution": "720p",
        "duration": "8",
    },
}


def post_seed_example(client, payload=SEED_000_PAYLOAD):
    # As Kie's example sends it: data=json.dumps(payload) with a JSON Content-Type.
    return client.post(CREATE, json.dumps(payload), content_type="application/json")


def test_the_seed_000_example_round_trips(api_client, funded):
    result = post_seed_example(api_client).json()
    assert result["code"] == 200
    task_id = result["data"]["taskId"]

    generation = Generation.objects.get(pk=task_id)
    assert generation.tenant == funded
    assert (generation.aspect_ratio, generation.resolution, generation.duration) == ("1:1", "720p", 8)
    assert generation.first_frame == SEED_000_PAYLOAD["input"]["input_urls"][0]

    record = api_client.get(RECORD, {"taskId": task_id}).json()
    assert record["code"] == 200
    assert record["data"]["taskId"] == task_id
    assert record["data"]["state"] == "waiting"
    assert json.loads(record["data"]["param"]) == SEED_000_PAYLOAD
    assert record["data"]["resultJson"] == ""


def test_a_success_has_result_urls_in_a_json_string(api_client, tenant, settings):
    generation = make_generation(
        tenant, status=Status.SUCCEEDED, video_file="results/v.mp4", quoted=32, charged=32
    )
    data = api_client.get(RECORD, {"taskId": generation.id}).json()["data"]
    assert data["state"] == "success"
    assert json.loads(data["resultJson"]) == {
        "resultUrls": [f"{settings.SITE_URL}/api/v1/generations/{generation.id}/video"]
    }
    assert data["creditsConsumed"] == 32


def test_until_our_copy_exists_the_task_is_still_generating(api_client, tenant):
    generation = make_generation(
        tenant, status=Status.RUNNING, mirror_state="copying", video_url="https://cdn.example.com/v.mp4"
    )
    data = api_client.get(RECORD, {"taskId": generation.id}).json()["data"]
    assert (data["state"], data["resultJson"]) == ("generating", "")


def test_a_success_links_our_copy(api_client, tenant, settings):
    generation = make_generation(
        tenant, status=Status.SUCCEEDED, video_url="https://cdn.example.com/v.mp4", video_file="results/v.mp4"
    )
    data = api_client.get(RECORD, {"taskId": generation.id}).json()["data"]
    assert data["state"] == "success"
    assert json.loads(data["resultJson"]) == {
        "resultUrls": [f"{settings.SITE_URL}/api/v1/generations/{generation.id}/video"]
    }


def test_a_hidden_result_has_no_links(api_client, tenant):
    generation = make_generation(
        tenant, status=Status.SUCCEEDED, video_file="results/v.mp4", hidden_at=timezone.now()
    )
    data = api_client.get(RECORD, {"taskId": generation.id}).json()["data"]
    assert json.loads(data["resultJson"]) == {"resultUrls": []}


@pytest.mark.parametrize(
    ("status", "state"),
    [
        (Status.PENDING, "waiting"),
        (Status.QUEUED, "queuing"),
        (Status.RUNNING, "generating"),
        (Status.FAILED, "fail"),
        (Status.CANCELLED, "fail"),
    ],
)
def test_states_are_kies(api_client, tenant, status, state):
    generation = make_generation(tenant, status=status, error_code="x" if state == "fail" else "")
    assert api_client.get(RECORD, {"taskId": generation.id}).json()["data"]["state"] == state


def test_another_tenants_task_is_kies_not_found(api_client, other_tenant):
    theirs = make_generation(other_tenant)
    response = api_client.get(RECORD, {"taskId": theirs.id})
    assert response.status_code == 404
    assert response.json()["code"] == 404
    assert response.json()["data"] is None


def test_record_info_needs_a_task_id(api_client, tenant):
    response = api_client.get(RECORD)
    assert response.status_code == 422
    assert response.json()["code"] == 422
    assert "taskId" in response.json()["msg"]


def test_a_bad_body_is_kies_422_naming_the_field(api_client, funded):
    payload = {**SEED_000_PAYLOAD, "input": {**SEED_000_PAYLOAD["input"], "duration": "7s"}}
    response = post_seed_example(api_client, payload)
    assert response.status_code == 422
    assert response.json()["code"] == 422
    assert "input.duration" in response.json()["msg"]
    assert not Generation.objects.exists()


def test_an_integer_duration_works_too(api_client, funded):
    payload = {**SEED_000_PAYLOAD, "input": {**SEED_000_PAYLOAD["input"], "duration": 12}}
    task_id = post_seed_example(api_client, payload).json()["data"]["taskId"]
    assert Generation.objects.get(pk=task_id).duration == 12


def test_no_credits_is_kies_402(api_client, tenant):
    response = post_seed_example(api_client)
    assert response.json()["code"] == 402
    assert not Generation.objects.exists() and not KieTask.objects.exists()


def test_a_bad_key_is_kies_401(bad_key_client, db):
    response = post_seed_example(bad_key_client)
    assert response.status_code == 401
    assert response.json()["code"] == 401


def test_the_callback_is_kie_shaped_and_due_only_at_the_end(api_client, funded):
    task_id = post_seed_example(api_client).json()["data"]["taskId"]
    generation = Generation.objects.get(pk=task_id)
    assert kie_callback(generation) is None  # still waiting

    generation.status, generation.video_file = Status.SUCCEEDED, "results/v.mp4"
    url, body = kie_callback(generation)
    assert url == "https://your-domain.com/api/callback"
    assert body["code"] == 200
    assert body["data"]["state"] == "success"
    assert body["data"]["taskId"] == task_id
    assert json.loads(body["data"]["resultJson"])["resultUrls"]


def test_a_failure_callback_carries_kies_501(tenant):
    generation = make_generation(
        tenant, status=Status.FAILED, error_code="provider_error", error_message="Boom"
    )
    body = kie_callback_body(generation)
    assert body["code"] == 501
    assert (body["data"]["state"], body["data"]["failCode"], body["data"]["failMsg"]) == (
        "fail",
        "provider_error",
        "Boom",
    )
