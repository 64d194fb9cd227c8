import pytest

from billing.errors import PriceNotConfigured
from billing.models import PriceRule
from generations.pricing import quote
from generations.spec import AUTO_DURATION, MAX_DURATION, GenerationSpec

pytestmark = pytest.mark.django_db


def spec(**fields) -> GenerationSpec:
    return GenerationSpec(prompt="A cat yawning at the camera", **fields)


def test_the_seeded_table_prices_8_seconds_of_720p_at_32_credits():
    q = quote(spec(resolution="720p", duration=8), "sandbox")
    assert (q.credits, q.seconds, q.rate, q.audio_factor) == (32, 8, 4000, 1)


def test_higher_resolutions_cost_more():
    prices = [quote(spec(resolution=r, duration=8), "sandbox").credits for r in ("480p", "720p", "1080p")]
    assert prices == sorted(prices) and len(set(prices)) == 3


def test_longer_videos_cost_more():
    assert quote(spec(duration=12), "sandbox").credits > quote(spec(duration=4), "sandbox").credits


def test_audio_multiplies_the_price_by_the_rule_factor():
    silent = quote(spec(duration=8), "sandbox")
    with_audio = quote(spec(duration=8, generate_audio=True), "sandbox")
    assert with_audio.audio_factor == 2
    assert with_audio.credits == 2 * silent.credits


def test_fractional_rates_round_up_to_whole_credits():
    PriceRule.objects.filter(provider="", resolution="480p").update(millicredits_per_second=2500)
    # 5 s x 2.5 credits/s = 12.5 credits, billed as 13.
    assert quote(spec(resolution="480p", duration=5), "sandbox").credits == 13
    # 4 s x 2.5 = 10 exactly: no rounding when there is nothing to round.
    assert quote(spec(resolution="480p", duration=4), "sandbox").credits == 10


def test_a_provider_override_wins_over_the_generic_rule():
    rule = PriceRule.objects.create(
        provider="kie", resolution="720p", millicredits_per_second=3000, audio_factor=3
    )
    q = quote(spec(resolution="720p", duration=8, generate_audio=True), "kie")
    assert (q.credits, q.rule_id) == (8 * 3 * 3, rule.pk)
    # Other providers, and "auto", keep the generic price.
    assert quote(spec(resolution="720p", duration=8), "sandbox").credits == 32
    assert quote(spec(resolution="720p", duration=8), "auto").credits == 32


def test_an_inactive_override_is_ignored():
    PriceRule.objects.create(provider="kie", resolution="720p", millicredits_per_second=1000, active=False)
    assert quote(spec(resolution="720p", duration=8), "kie").credits == 32


def test_auto_duration_is_quoted_at_the_longest_duration():
    q = quote(spec(duration=AUTO_DURATION), "auto")
    assert q.seconds == MAX_DURATION
    assert q.credits == quote(spec(duration=MAX_DURATION), "auto").credits


def test_auto_duration_on_a_provider_uses_its_maximum(monkeypatch):
    from generations import providers

    class Adapter:
        class capabilities:
            max_duration = 10

    monkeypatch.setattr(providers, "get_adapter", lambda slug: Adapter)
    assert quote(spec(duration=AUTO_DURATION), "kie").seconds == 10


def test_a_resolution_without_an_active_rule_is_refused_naming_the_field():
    PriceRule.objects.filter(resolution="1080p").update(active=False)
    with pytest.raises(PriceNotConfigured) as exc:
        quote(spec(resolution="1080p"), "sandbox")
    assert "resolution" in exc.value.details
    assert exc.value.http_status == 422


def test_the_breakdown_is_plain_integers():
    breakdown = quote(spec(duration=8, generate_audio=True), "sandbox").as_dict()
    assert breakdown == {
        "credits": 64,
        "seconds": 8,
        "rate": 4000,
        "rate_unit": "millicredits_per_second",
        "audio_factor": 2,
    }


def test_every_seeded_price_rule_names_a_model_tier_and_resolution_the_api_accepts():
    # PriceRule takes its names as text (billing knows no spec); the seeded rules must match
    # what a job can ask for, or they would price nothing.
    from generations.spec import MODELS, RESOLUTIONS, SERVICE_TIERS

    rules = list(PriceRule.objects.filter(active=True).values_list("model", "service_tier", "resolution"))
    assert rules
    assert [
        r for r in rules if r[0] not in MODELS or r[1] not in SERVICE_TIERS or r[2] not in RESOLUTIONS
    ] == []
