"""The registry: adapters from settings, capability checks, and choosing a provider."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from generations import providers
from generations.providers import UnknownProvider, choose, enabled_adapters, failover_candidates, get_adapter
from generations.spec import GenerationSpec, SpecError

ALL = ["kie", "apikley", "kkiai", "ark", "aizfw", "jiekou", "sandbox"]


@pytest.fixture
def all_enabled(settings):
    for slug in ALL:
        setattr(settings, f"{slug.upper()}_ENABLED", True)
        setattr(settings, f"{slug.upper()}_API_KEY", "k")
        setattr(settings, f"{slug.upper()}_BASE_URL", f"https://{slug}.test")
    settings.PROVIDER_ORDER = ALL
    settings.PROVIDER_CAPABILITIES = {}
    return settings


def test_enabled_adapters_follow_the_configured_order(all_enabled):
    all_enabled.PROVIDER_ORDER = ["jiekou", "kie"]
    all_enabled.ARK_ENABLED = False
    slugs = [a.slug for a in enabled_adapters()]
    assert slugs[:2] == ["jiekou", "kie"]
    assert "ark" not in slugs


def test_a_provider_without_a_key_is_off_whatever_its_flag(all_enabled):
    all_enabled.KIE_API_KEY = ""
    with pytest.raises(UnknownProvider) as exc:
        get_adapter("kie")
    assert exc.value.http_status == 422


def test_an_unknown_slug_is_a_422_naming_the_enabled_ones(all_enabled):
    with pytest.raises(UnknownProvider) as exc:
        get_adapter("openai")
    assert "jiekou" in exc.value.message


def test_adapters_are_configured_from_settings(all_enabled):
    all_enabled.ARK_MODEL = "ep-123"
    all_enabled.KIE_WEBHOOK_HMAC_KEY = "hk"
    assert get_adapter("ark").model == "ep-123"
    assert get_adapter("kie").callbacks_are_signed
    assert get_adapter("aizfw").base_url == "https://aizfw.test"


def test_one_error_lists_every_field_the_provider_cannot_honour(all_enabled):
    job = GenerationSpec(prompt="hi", aspect_ratio="5:4", resolution="1080p", duration=13)
    with pytest.raises(SpecError) as exc:
        choose(job, "kie")
    errors = exc.value.errors
    assert set(errors) == {"prompt", "aspect_ratio", "resolution", "duration"}
    assert "480p, 720p" in errors["resolution"]
    assert "16:9" in errors["aspect_ratio"]
    assert exc.value.http_status == 422


def test_a_too_long_prompt_is_named(all_enabled):
    with pytest.raises(SpecError) as exc:
        choose(GenerationSpec(prompt="x" * 2501), "ark")
    assert "2500" in exc.value.errors["prompt"]


def test_too_many_images_with_a_capability_override(all_enabled):
    # A spec holds at most two images; a provider overridden to take one shows the max_images path.
    all_enabled.PROVIDER_CAPABILITIES = {"jiekou": {"max_images": 1}}
    job = GenerationSpec(
        prompt="A cat", first_frame="https://x.test/a.png", last_frame="https://x.test/b.png"
    )
    with pytest.raises(SpecError) as exc:
        choose(job, "jiekou")
    assert "at most 1 image" in exc.value.errors["last_frame"]


def test_data_uris_go_to_every_provider_but_fail_over_only_where_they_are_taken(all_enabled):
    job = GenerationSpec(prompt="A cat", first_frame="data:image/png;base64,iVBORw0KGgo=")
    # We host a copy for a provider that takes URLs only, so any provider may be chosen...
    assert choose(job, "kie").slug == "kie"
    assert choose(job, "jiekou").slug == "jiekou"
    # ...but a job already prepared for a base64 provider cannot move to a URL-only one.
    assert "kie" not in [a.slug for a in failover_candidates(job, after_slug="sandbox")]
    assert "ark" in [a.slug for a in failover_candidates(job, after_slug="kkiai")]


def test_capabilities_can_be_overridden_from_settings(all_enabled):
    all_enabled.PROVIDER_CAPABILITIES = {"kie": {"resolutions": ["480p", "720p", "1080p"]}}
    assert choose(GenerationSpec(prompt="A cat", resolution="1080p", duration=8), "kie").slug == "kie"


def test_a_misspelt_override_stops_startup_with_a_clear_message(all_enabled):
    all_enabled.PROVIDER_CAPABILITIES = {"kie": {"resolution": ["1080p"]}}
    with pytest.raises(ImproperlyConfigured, match="resolution"):
        get_adapter("kie")


def test_auto_takes_the_first_capable_provider(all_enabled):
    # Kie and Apikley lack "adaptive"; kkiai is next in the order.
    assert choose(GenerationSpec(prompt="A cat", aspect_ratio="adaptive"), "auto").slug == "kkiai"
    assert choose(GenerationSpec(prompt="A cat"), "auto").slug == "kie"


def test_auto_explains_what_every_provider_lacked(all_enabled):
    all_enabled.PROVIDER_ORDER = ["kie", "aizfw"]
    for slug in ("apikley", "kkiai", "ark", "jiekou", "sandbox"):
        setattr(all_enabled, f"{slug.upper()}_ENABLED", False)
    with pytest.raises(SpecError) as exc:
        choose(GenerationSpec(prompt="A cat", seed=5), "auto")
    message = exc.value.errors["provider"]
    assert "kie (seed:" in message and "aizfw (seed:" in message


def test_auto_with_an_invalid_spec_names_the_fields(all_enabled):
    with pytest.raises(SpecError) as exc:
        choose(GenerationSpec(prompt="hi", duration=13), "auto")
    assert set(exc.value.errors) == {"prompt", "duration"}


def test_failover_candidates_are_the_capable_ones_after(all_enabled):
    job = GenerationSpec(prompt="A cat", aspect_ratio="adaptive", duration=-1)
    assert [a.slug for a in failover_candidates(job, "ark")] == ["aizfw", "sandbox"]
    assert [a.slug for a in failover_candidates(job, "sandbox")] == []


def test_registry_is_rebuilt_when_settings_change(all_enabled):
    assert get_adapter("kie").base_url == "https://kie.test"
    all_enabled.KIE_BASE_URL = "https://elsewhere.test"
    assert get_adapter("kie").base_url == "https://elsewhere.test"
    providers.reset_registry()
    assert get_adapter("kie").base_url == "https://elsewhere.test"
