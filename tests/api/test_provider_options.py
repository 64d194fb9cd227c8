"""What each provider documents, enforced before any money moves: prompt limits counted the
provider's way, models, service tiers, and resolutions only where the document offers them."""

from __future__ import annotations

import pytest

from billing.services import balance
from generations.models import Generation
from generations.sandbox.models import SandboxTask
from generations.tasks import submit_generation

CREATE, QUOTE = "/api/v1/generations", "/api/v1/quotes"
CHINESE_501 = "一只猫对着镜头打哈欠" * 50 + "猫"  # 501 characters


def post(client, url, **body):
    return client.post(url, {"prompt": "A cat yawning at the camera", **body}, format="json")


@pytest.fixture
def providers_on(sandbox, funded):
    return funded


# --- aizfw's prompt limits --------------------------------------------------------------------


@pytest.mark.parametrize("url", [CREATE, QUOTE])
def test_a_501_character_chinese_prompt_on_aizfw_is_refused_and_nothing_is_held(
    api_client, providers_on, url
):
    response = post(api_client, url, prompt=CHINESE_501, provider="aizfw")
    assert response.status_code == 422
    assert "500 characters" in response.json()["error"]["details"]["prompt"]
    assert not Generation.objects.exists()
    assert balance(providers_on).held == 0


def test_500_chinese_characters_pass_and_reach_the_provider(api_client, providers_on):
    response = post(api_client, CREATE, prompt=CHINESE_501[:500], provider="aizfw")
    assert response.status_code == 201
    assert submit_generation(response.json()["id"]) == "submitted"


def test_english_prompts_are_counted_in_words_on_aizfw(api_client, providers_on):
    short_words = " ".join(["a"] * 1001)  # 2001 characters: within every character limit
    response = post(api_client, CREATE, prompt=short_words, provider="aizfw")
    assert response.status_code == 422
    assert "1000 words" in response.json()["error"]["details"]["prompt"]
    # Other providers count characters only.
    assert post(api_client, CREATE, prompt=short_words, provider="ark").status_code == 201


def test_auto_passes_over_aizfw_for_a_long_chinese_prompt(api_client, providers_on, settings):
    settings.PROVIDER_ORDER = ["aizfw", "jiekou"]
    response = post(api_client, CREATE, prompt=CHINESE_501)
    assert response.status_code == 201
    assert response.json()["provider"] == "jiekou"


def test_the_sandbox_refuses_a_long_chinese_prompt_as_aizfw_would(sandbox):
    body = {"model": "seedance_1_5_pro_720p", "content": [{"type": "text", "text": CHINESE_501}]}
    response = sandbox.client.post(
        f"{sandbox.site_url}/sandbox/aizfw/kyyAiPower/v1/seedance/videos",
        json=body,
        headers={"Authorization": "Bearer sandbox-key"},
    )
    assert response.status_code == 400
    assert "Chinese up to 500 characters" in response.json()["error"]["message"]


# --- Models ---------------------------------------------------------------------------------------


def test_seedance_2_runs_on_aizfw_with_its_own_price_and_durations(api_client, providers_on):
    response = post(api_client, CREATE, provider="aizfw", model="seedance-2.0", duration=15)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["model"] == "seedance-2.0"
    assert body["cost"]["quoted"] == 15 * 6  # the seedance-2.0 rule: 6 credits/s
    assert submit_generation(body["id"]) == "submitted"
    assert SandboxTask.objects.get().request["model"] == "seedance_2_0_11s_15s"


def test_seedance_2_reference_images_reach_aizfw_with_their_role(api_client, providers_on):
    refs = [f"https://cdn.example.com/ref{i}.png" for i in range(4)]
    response = post(
        api_client, CREATE, provider="aizfw", model="seedance-2.0", duration=6, reference_images=refs
    )
    assert response.status_code == 201, response.json()
    submit_generation(response.json()["id"])
    content = SandboxTask.objects.get().request["content"]
    assert [item.get("role") for item in content[1:]] == ["reference_image"] * 4


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"provider": "kie", "model": "seedance-2.0"}, "model"),
        ({"provider": "aizfw", "model": "seedance-2.0", "duration": -1}, "duration"),
        ({"provider": "aizfw", "model": "seedance-2.0", "generate_audio": True}, "generate_audio"),
        ({"provider": "aizfw", "reference_images": ["https://cdn.example.com/r.png"]}, "reference_images"),
        (
            {
                "provider": "aizfw",
                "model": "seedance-2.0",
                "reference_images": ["https://a.example/r.png"] * 5,
            },
            "reference_images",
        ),
        ({"model": "seedance-3"}, "model"),
        ({"duration": 13}, "duration"),
    ],
)
def test_what_a_model_or_provider_lacks_is_a_422_naming_the_field(api_client, providers_on, body, field):
    response = post(api_client, CREATE, **body)
    assert response.status_code == 422
    assert field in response.json()["error"]["details"]
    assert not Generation.objects.exists()


# --- Service tiers and JieKou -------------------------------------------------------------------


def test_flex_on_jiekou_is_priced_by_its_own_cheaper_rule_and_sent(api_client, providers_on):
    default = post(api_client, QUOTE, provider="jiekou", service_tier="default").json()["credits"]
    flex = post(api_client, QUOTE, provider="jiekou", service_tier="flex").json()["credits"]
    assert flex < default
    response = post(api_client, CREATE, provider="jiekou", service_tier="flex")
    assert response.json()["cost"]["quoted"] == flex
    submit_generation(response.json()["id"])
    request = SandboxTask.objects.get().request
    assert request["service_tier"] == "flex"
    assert request["execution_expires_after"] == 48 * 3600


@pytest.mark.parametrize("provider", ["kie", "apikley", "kkiai", "ark", "aizfw"])
def test_a_tier_where_a_provider_has_none_is_a_422(api_client, providers_on, provider):
    response = post(api_client, CREATE, provider=provider, service_tier="flex")
    assert response.status_code == 422
    assert "no service tiers" in response.json()["error"]["details"]["service_tier"]


def test_a_text_only_jiekou_job_hits_the_image_to_video_endpoint(api_client, providers_on):
    generation_id = post(api_client, CREATE, provider="jiekou").json()["id"]
    assert submit_generation(generation_id) == "submitted"
    call = Generation.objects.get(pk=generation_id).events.get(kind="provider_call").data
    assert call["request"]["url"].endswith("/jiekou/v3/async/seedance-v1.5-pro-i2v")
    assert "image" not in SandboxTask.objects.get().request


def test_jiekou_offers_1080p_only_with_an_image(api_client, providers_on):
    text_only = post(api_client, CREATE, provider="jiekou", resolution="1080p")
    assert text_only.status_code == 422
    assert "text-only" in text_only.json()["error"]["details"]["resolution"]
    with_image = post(
        api_client, CREATE, provider="jiekou", resolution="1080p", first_frame="https://cdn.example.com/f.png"
    )
    assert with_image.status_code == 201


# --- kkiai's extra fields -----------------------------------------------------------------------


def test_a_kkiai_extra_field_switched_off_is_neither_offered_nor_sent(api_client, providers_on, settings):
    settings.PROVIDER_CAPABILITIES = {"kkiai": {"seed": False, "resolution_param": False}}
    refused = post(api_client, CREATE, provider="kkiai", seed=7)
    assert refused.status_code == 422 and "seed" in refused.json()["error"]["details"]
    assert post(api_client, CREATE, provider="kkiai", resolution="1080p").status_code == 422
    generation_id = post(api_client, CREATE, provider="kkiai").json()["id"]
    submit_generation(generation_id)
    request = SandboxTask.objects.get().request
    assert "resolution" not in request and "seed" not in request
    assert request["generate_audio"] is False  # still on
