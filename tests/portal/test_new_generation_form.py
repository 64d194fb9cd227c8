"""The New generation form follows the providers' capabilities, checks before submit, keeps
chosen files across errors, takes image URLs through the API's image check, and starts a
batch of N all together or not at all."""

import base64
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from billing.services import balance
from generations.models import Generation, Hold, UploadedImage
from tests.factories import fund, make_generation
from tests.portal.test_generations import FORM, png


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _option(page: str, value: str) -> str:
    """The <option> tag of `value` in the aspect ratio / duration selects of `page`."""
    return re.search(rf'<option value="{re.escape(value)}"[^>]*>[^<]*</option>', page)[0]


# --- Capabilities ------------------------------------------------------------------------------


def test_server_refuses_an_option_the_chosen_provider_lacks_with_a_field_error(as_bob, tenant):
    fund(tenant, 1000)
    response = as_bob.post("/generations/new/", {**FORM, "provider": "kie", "aspect_ratio": "adaptive"})
    assert response.status_code == 422
    page = response.content.decode()
    error = re.search(r'<p class="error" id="aspect_ratio-error">([^<]*)</p>', page)[1]
    assert error.startswith("Kie does not offer adaptive aspect ratio")
    response = as_bob.post("/generations/new/", {**FORM, "provider": "kie", "duration": "-1"})
    assert "Kie does not offer auto duration" in response.content.decode()
    assert not Generation.objects.exists()
    assert balance(tenant).held == 0


def test_the_same_options_pass_on_a_provider_that_has_them(as_bob, tenant):
    fund(tenant, 1000)
    response = as_bob.post("/generations/new/", {**FORM, "provider": "sandbox", "aspect_ratio": "adaptive"})
    assert response.status_code == 302
    assert Generation.objects.get().aspect_ratio == "adaptive"


def test_the_form_disables_what_the_provider_lacks_and_says_why(as_bob, tenant):
    page = as_bob.get("/generations/new/?from=" + make_generation(tenant, requested_provider="kie").id)
    page = page.content.decode()
    assert "disabled" in _option(page, "adaptive") and "(not available)" in _option(page, "adaptive")
    assert "disabled" in _option(page, "-1")
    assert "disabled" not in _option(page, "16:9")
    reason = re.search(r'<p class="help reason" id="reason-aspect_ratio">([^<]*)</p>', page)[1]
    assert reason.startswith("Kie does not offer adaptive aspect ratio (allowed: ")
    select = re.search(r'<select name="aspect_ratio"[^>]*>', page)[0]
    assert "reason-aspect_ratio" in select and "err-aspect_ratio" in select


def test_the_live_check_shows_reasons_errors_and_price_before_submit(as_bob, tenant):
    fund(tenant, 1000)
    answer = as_bob.get("/generations/new/quote/", {**FORM, "provider": "kie", "aspect_ratio": "adaptive"})
    page = answer.content.decode()
    assert (
        'id="err-aspect_ratio" hx-swap-oob="true"><p class="error" id="aspect_ratio-error">Kie does not'
        in page
    )
    assert '<p class="error">Kie does not offer adaptive aspect ratio' in page  # the price box too
    good = as_bob.get("/generations/new/quote/", {**FORM, "provider": "kie"}).content.decode()
    assert 'id="err-aspect_ratio" hx-swap-oob="true"></div>' in good
    assert re.search(r'data-credits="\d+"', good)
    assert 'id="provider-cards" hx-swap-oob="true"' in good
    assert not Generation.objects.exists()


def test_routing_modes_and_provider_cards_are_offered(as_bob, tenant):
    page = as_bob.get("/generations/new/").content.decode()
    assert '<option value="cheapest">Cheapest for this video</option>' in page
    assert '<option value="fastest">Fastest lately</option>' in page
    cards = page[page.index('id="provider-cards"') :]
    assert "Kie" in cards and "credits" in cards and "Supports" in cards


# --- Frames ------------------------------------------------------------------------------------


def test_a_chosen_file_survives_another_fields_error_and_the_job_uses_it(as_bob, tenant, settings):
    fund(tenant, 1000)
    image = SimpleUploadedFile("first.png", png(), content_type="image/png")
    response = as_bob.post("/generations/new/", {**FORM, "prompt": "hi", "first_frame": image})
    assert response.status_code == 422
    page = response.content.decode()
    kept = UploadedImage.objects.get(tenant=tenant)
    assert f'name="first_frame_file" value="{kept.id}"' in page
    assert f'src="/generations/new/files/{kept.id}/"' in page  # the preview
    assert as_bob.get(f"/generations/new/files/{kept.id}/").status_code == 200

    # Sent again with only the token: the job has that image, and no second upload was made.
    response = as_bob.post("/generations/new/", {**FORM, "first_frame_file": kept.id})
    assert response.status_code == 302
    generation = Generation.objects.get()
    assert generation.first_frame.startswith(f"{settings.SITE_URL}/files/")
    assert UploadedImage.objects.count() == 1


def test_another_teams_file_token_is_refused_and_its_preview_is_a_404(as_bob, as_charlie, other_tenant):
    fund(other_tenant, 1000)
    theirs = SimpleUploadedFile("first.png", png(), content_type="image/png")
    as_charlie.post("/generations/new/", {**FORM, "prompt": "hi", "first_frame": theirs})
    kept = UploadedImage.objects.get()
    assert as_bob.get(f"/generations/new/files/{kept.id}/").status_code == 404
    page = as_bob.post("/generations/new/", {**FORM, "first_frame_file": kept.id}).content.decode()
    assert 'id="first_frame-error"' in page
    assert not Generation.objects.filter(first_frame__contains="/files/").exists()


def test_the_upload_endpoint_checks_once_and_answers_a_preview(as_bob, tenant):
    image = SimpleUploadedFile("first.png", png(), content_type="image/png")
    answer = as_bob.post("/generations/new/frames/first_frame/", {"file": image})
    kept = UploadedImage.objects.get()
    assert answer.status_code == 200
    assert f'value="{kept.id}"' in answer.content.decode() and "640×360" in answer.content.decode()
    tiny = SimpleUploadedFile("tiny.png", png(100, 100), content_type="image/png")
    refused = as_bob.post("/generations/new/frames/first_frame/", {"file": tiny})
    assert refused.status_code == 422 and "width must be 300 to 6000 px" in refused.content.decode()
    assert UploadedImage.objects.count() == 1


@pytest.mark.parametrize(
    "url, words",
    [
        ("http://10.0.0.1/frame.png", "private address"),
        ("http://169.254.169.254/latest/meta-data/", "metadata address"),
        ("ftp://example.com/frame.png", "http"),
        ("https://example.com/clip.mp4", "not mp4"),
    ],
)
def test_an_unsafe_or_wrong_image_url_is_refused_by_the_image_check(as_bob, tenant, url, words):
    fund(tenant, 1000)
    page = as_bob.post("/generations/new/", {**FORM, "first_frame_url": url}).content.decode()
    error = re.search(r'id="first_frame_url-error">([^<]*)<', page)
    assert error and error[1].startswith("This image cannot be used") and words in error[1]
    assert not Generation.objects.exists()


def test_an_image_url_is_sent_to_the_provider_as_given(as_bob, tenant):
    fund(tenant, 1000)
    url = "https://images.example.com/first.png"
    assert as_bob.post("/generations/new/", {**FORM, "first_frame_url": url}).status_code == 302
    assert Generation.objects.get().first_frame == url


# --- Batch -------------------------------------------------------------------------------------


def test_a_batch_of_three_holds_three_prices_in_one_go(as_bob, tenant):
    fund(tenant, 100)  # sandbox, 8 s of 720p: 32 credits a video
    quote = as_bob.get("/generations/new/quote/", {**FORM, "count": "3"}).content.decode()
    assert 'data-credits="96"' in quote and "3 videos × 32 credits" in quote
    response = as_bob.post("/generations/new/", {**FORM, "count": "3"})
    assert response.status_code == 302 and response["Location"] == "/generations/"
    jobs = Generation.objects.filter(tenant=tenant)
    assert jobs.count() == 3
    assert all(job.held == 32 and job.hold_state == Hold.HELD for job in jobs)
    assert balance(tenant).held == 96 and balance(tenant).available == 4
    history = as_bob.get("/generations/").content.decode()
    assert all(job.id in history for job in jobs)


def test_a_batch_the_credits_do_not_cover_starts_nothing(as_bob, tenant):
    fund(tenant, 64)  # two videos' worth
    response = as_bob.post("/generations/new/", {**FORM, "count": "3"})
    assert response.status_code == 402
    page = response.content.decode()
    assert "3 videos need 96 credits (3 × 32) and your team has 64 available. Nothing was started." in page
    assert not Generation.objects.exists()
    assert balance(tenant).held == 0 and balance(tenant).available == 64


# --- Duplicate as new --------------------------------------------------------------------------


def test_duplicate_as_new_keeps_the_frames_and_takes_overrides_from_the_query(as_bob, tenant):
    data_uri = "data:image/png;base64," + base64.b64encode(png()).decode()
    url = "https://images.example.com/last.png"
    original = make_generation(tenant, seed=42, first_frame=data_uri, last_frame=url)
    page = as_bob.get(f"/generations/new/?from={original.id}&seed=").content.decode()
    kept = UploadedImage.objects.get(tenant=tenant)
    assert (
        f'name="first_frame_file" value="{kept.id}"' in page and f"/generations/new/files/{kept.id}/" in page
    )
    assert f'value="{url}"' in page
    assert 'value="42"' not in page  # "new seed": the query's empty seed wins


@pytest.mark.parametrize("file_id", ["file_%00", "x" * 300, "file_0123456789abcdefghjkmnpqrs"])
def test_a_malformed_or_unknown_preview_id_is_a_404(as_bob, tenant, file_id):
    assert as_bob.get(f"/generations/new/files/{file_id}/").status_code == 404


def test_the_frame_upload_refuses_a_missing_file_and_an_unknown_role(as_bob, tenant):
    assert as_bob.post("/generations/new/frames/first_frame/").status_code == 422
    assert as_bob.post("/generations/new/frames/poster/").status_code == 404
    assert not UploadedImage.objects.exists()
