"""Create bodies for the options each provider documents beyond the basics, compared field by
field with saved examples built from the provider's own page (data/<provider>/request_*.json).

The basic text / first frame / first+last frame bodies are in each provider's own test module.
"""

from __future__ import annotations

import pytest

from generations.providers.jiekou import I2V

from .helpers import BASE, load, make, sent_json, spec

REFS = ("https://cdn.example.com/ref1.png", "https://cdn.example.com/ref2.png")
DATA_URI = "data:image/png;base64,iVBORw0KGgo="
KKIAI_EXAMPLE_PROMPT = (
    "The girl is holding a fox. She opens her eyes and looks gently at the camera, while the fox "
    "cuddles her in a friendly way. The camera slowly pulls back, the girl's hair moves in the wind, "
    "and the sound of the wind can be heard."
)

CASES = {
    # JieKou: one endpoint for every mode; the flex tier and the task timeout are body fields.
    ("jiekou", "text_flex"): (
        {"expires_after_seconds": 172800},
        spec("text_to_video", service_tier="flex", resolution="480p"),
        I2V,
    ),
    ("jiekou", "first_frame_default_tier_all_options"): (
        {"expires_after_seconds": 7200},
        spec(
            "first_frame",
            first_frame=DATA_URI,
            service_tier="default",
            seed=-1,
            camera_fixed=True,
            watermark=True,
            generate_audio=True,
            aspect_ratio="adaptive",
            resolution="1080p",
            duration=12,
        ),
        I2V,
    ),
    # aizfw: Seedance 2.0 picks its model by duration band and has no audio field.
    ("aizfw", "seedance_2_text"): ({}, spec("text_to_video", model="seedance-2.0", duration=8), None),
    ("aizfw", "seedance_2_reference_images"): (
        {},
        spec("text_to_video", model="seedance-2.0", duration=12, reference_images=REFS),
        None,
    ),
    ("aizfw", "seedance_2_first_last_frame"): (
        {},
        spec("first_last_frame", model="seedance-2.0", duration=5, aspect_ratio="adaptive"),
        None,
    ),
    ("aizfw", "auto_duration_1080p"): ({}, spec("first_frame", duration=-1, resolution="1080p"), None),
}


@pytest.mark.parametrize(("slug", "name"), list(CASES), ids=[f"{s}-{n}" for s, n in CASES])
def test_create_body_field_by_field(slug, name):
    options, job, path = CASES[(slug, name)]
    request = make(slug, **options).build_create(job, "https://app.example.com/cb/")
    assert sent_json(request) == load(slug, f"request_{name}")
    if path:
        assert str(request.url) == f"{BASE}{path}"


def test_a_text_only_jiekou_job_goes_to_the_image_to_video_endpoint():
    request = make("jiekou").build_create(spec("text_to_video"), None)
    assert str(request.url) == f"{BASE}/v3/async/seedance-v1.5-pro-i2v"


def test_a_setting_can_send_text_only_jiekou_jobs_elsewhere():
    adapter = make("jiekou", text_to_video_path="/v3/async/seedance-v1.5-pro-t2v")
    assert str(adapter.build_create(spec("text_to_video"), None).url).endswith("-t2v")
    assert str(adapter.build_create(spec("first_frame"), None).url).endswith("-i2v")


@pytest.mark.parametrize(("seconds", "sent"), [(48 * 3600, 172800), (600, 3600), (10**7, 259200)])
def test_jiekou_task_timeout_follows_our_deadline_within_its_range(seconds, sent):
    body = sent_json(make("jiekou", expires_after_seconds=seconds).build_create(spec("text_to_video"), None))
    assert body["execution_expires_after"] == sent


def test_kkiai_with_its_extra_fields_switched_off_sends_its_documented_example():
    # kkiai's page shows model, content, ratio, duration and watermark (role is in its field table).
    adapter = make("kkiai")
    adapter.capabilities = adapter.capabilities.with_overrides(
        {"resolution_param": False, "audio": False, "seed": False, "camera_fixed": False}
    )
    job = spec(
        "first_frame",
        prompt=KKIAI_EXAMPLE_PROMPT,
        first_frame="https://ark-project.tos-cn-beijing.volces.com/doc_image/i2v_foxrgirl.png",
        aspect_ratio="adaptive",
        duration=4,
        seed=None,
    )
    assert sent_json(adapter.build_create(job, None)) == load("kkiai", "request_extras_off")
