import struct
import zlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from billing.services import balance
from generations import lifecycle, services
from generations.models import Generation, GenerationEvent, Status, UploadedImage
from generations.spec import SpecError
from tests.factories import fund, make_api_key, make_generation

FORM = {
    "prompt": "A red fox runs through fresh snow at dawn",
    "provider": "sandbox",
    "aspect_ratio": "16:9",
    "resolution": "720p",
    "duration": "8",
}


def png(width=640, height=360) -> bytes:
    """A valid, tiny PNG of the given size (one grey row repeated), built without Pillow."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


# --- New --------------------------------------------------------------------------------------


def test_member_creates_a_generation_and_lands_on_its_page(as_bob, tenant, bob):
    fund(tenant, 100)
    response = as_bob.post("/generations/new/", FORM)
    generation = Generation.objects.get(tenant=tenant)
    assert response["Location"] == f"/generations/{generation.id}/"
    assert (generation.prompt, generation.provider, generation.created_by_user) == (
        FORM["prompt"],
        "sandbox",
        bob,
    )
    assert generation.held == 32
    assert balance(tenant).available == 68


def test_new_form_shows_the_price_and_the_prompt_limits(as_bob, tenant):
    page = as_bob.get("/generations/new/").content.decode()
    assert 'data-credits="32"' in page  # 8 s at 720p, the defaults
    assert 'minlength="3"' in page and 'maxlength="2500"' in page
    assert 'hx-get="/generations/new/quote/"' in page


def test_live_quote_follows_the_fields(as_bob, tenant):
    page = as_bob.get(
        "/generations/new/quote/", {**FORM, "resolution": "1080p", "duration": "4"}
    ).content.decode()
    assert 'data-credits="36"' in page
    with_audio = as_bob.get("/generations/new/quote/", {**FORM, "generate_audio": "on"}).content.decode()
    assert 'data-credits="64"' in with_audio


def test_insufficient_credits_are_explained_with_a_link_to_billing(as_bob, tenant):
    fund(tenant, 10)
    response = as_bob.post("/generations/new/", FORM)
    assert response.status_code == 402
    page = response.content.decode()
    assert "needs 32 credits" in page and "has 10 available" in page
    assert 'href="/billing/"' in page
    assert not Generation.objects.exists()


def test_a_too_short_prompt_is_refused_next_to_the_field(as_bob, tenant):
    fund(tenant, 100)
    response = as_bob.post("/generations/new/", {**FORM, "prompt": "hi"})
    assert response.status_code == 422
    assert 'id="prompt-error"' in response.content.decode()
    assert not Generation.objects.exists()


def test_a_provider_refusal_is_shown_next_to_the_field_it_names(as_bob, tenant):
    fund(tenant, 100)
    # kie offers 480p and 720p only.
    response = as_bob.post("/generations/new/", {**FORM, "provider": "kie", "resolution": "1080p"})
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="resolution-error"' in page and "allowed: 480p, 720p" in page
    assert not Generation.objects.exists()
    assert balance(tenant).held == 0


def test_aizfws_chinese_prompt_limit_is_shown_next_to_the_prompt(as_bob, tenant):
    fund(tenant, 100)
    prompt = "一只红狐狸在清晨的新雪中奔跑" * 36  # 504 characters
    response = as_bob.post("/generations/new/", {**FORM, "provider": "aizfw", "prompt": prompt})
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="prompt-error"' in page and "500 characters" in page
    assert not Generation.objects.exists()
    # The live price says so too, before the form is sent.
    quote = as_bob.get("/generations/new/quote/", {**FORM, "provider": "aizfw", "prompt": prompt})
    assert "500 characters" in quote.content.decode()


def test_a_suspended_team_is_told_so(as_bob, tenant):
    fund(tenant, 100)
    tenant.suspended = True
    tenant.save()
    response = as_bob.post("/generations/new/", FORM)
    assert response.status_code == 422
    assert "suspended" in response.content.decode()
    assert not Generation.objects.exists()


def test_viewer_gets_no_form_and_the_server_refuses(as_vera, tenant):
    fund(tenant, 100)
    assert as_vera.get("/generations/new/").status_code == 403
    assert as_vera.post("/generations/new/", FORM).status_code == 403
    assert not Generation.objects.exists()
    assert "/generations/new/" not in as_vera.get("/generations/").content.decode()


def test_uploaded_frame_is_kept_as_the_teams_file_and_sent_as_our_url(as_bob, client, tenant, settings):
    fund(tenant, 100)
    image = SimpleUploadedFile("first.png", png(), content_type="image/png")
    as_bob.post("/generations/new/", {**FORM, "first_frame": image})
    kept = UploadedImage.objects.get(tenant=tenant, source=UploadedImage.Source.UPLOAD)
    url = Generation.objects.get().first_frame
    assert url.startswith(f"{settings.SITE_URL}/files/")
    assert b"".join(client.get(url.removeprefix(settings.SITE_URL)).streaming_content) == png()
    assert kept.width == 640


def test_uploaded_frame_goes_as_a_public_url_to_a_url_only_provider(as_bob, client, tenant, settings):
    fund(tenant, 100)
    image = SimpleUploadedFile("first.png", png(), content_type="image/png")
    as_bob.post("/generations/new/", {**FORM, "provider": "kie", "first_frame": image})
    url = Generation.objects.get().first_frame
    assert url.startswith(f"{settings.SITE_URL}/files/")
    # Providers fetch it without logging in.
    served = client.get(url.removeprefix(settings.SITE_URL))
    assert served.status_code == 200
    assert b"".join(served.streaming_content) == png()


def test_a_non_image_upload_is_refused_next_to_the_field(as_bob, tenant):
    fund(tenant, 100)
    bogus = SimpleUploadedFile("first.png", b"not an image at all", content_type="image/png")
    response = as_bob.post("/generations/new/", {**FORM, "first_frame": bogus})
    assert 'id="first_frame-error"' in response.content.decode()
    assert not Generation.objects.exists()


def test_a_refused_create_keeps_the_upload_for_the_form_but_no_copy(as_bob, tenant, tmp_path):
    fund(tenant, 1)
    image = SimpleUploadedFile("first.png", png(), content_type="image/png")
    page = as_bob.post(
        "/generations/new/", {**FORM, "provider": "kie", "first_frame": image}
    ).content.decode()
    assert not Generation.objects.exists()
    # The chosen file stays for the re-rendered form (its token and preview); no copy for Kie.
    kept = UploadedImage.objects.get()
    assert kept.source == UploadedImage.Source.UPLOAD
    assert f'name="first_frame_file" value="{kept.id}"' in page
    assert len(list(tmp_path.rglob("*.png"))) == 1


def test_duplicate_as_new_prefills_the_form(as_bob, tenant):
    original = make_generation(
        tenant, prompt="Waves at night, slow pan", resolution="1080p", duration=5, seed=42
    )
    page = as_bob.get(f"/generations/new/?from={original.id}").content.decode()
    assert "Waves at night, slow pan</textarea>" in page
    assert '<option value="1080p" selected>' in page
    assert '<option value="5" selected>' in page
    assert 'value="42"' in page


def test_duplicating_another_teams_generation_is_a_404(as_charlie, tenant):
    original = make_generation(tenant)
    assert as_charlie.get(f"/generations/new/?from={original.id}").status_code == 404


# --- History ----------------------------------------------------------------------------------


def test_history_lists_the_teams_generations_newest_first(as_vera, tenant, other_tenant):
    older = make_generation(tenant, prompt="older sunrise clip")
    newer = make_generation(tenant, prompt="newer sunset clip")
    make_generation(other_tenant, prompt="charlie's secret clip")
    page = as_vera.get("/generations/").content.decode()
    assert page.index(newer.id) < page.index(older.id)
    assert "secret" not in page


def test_history_searches_prompts_and_filters_status(as_bob, tenant):
    make_generation(tenant, prompt="A lighthouse in a storm", status=Status.SUCCEEDED)
    make_generation(tenant, prompt="A lighthouse at noon", status=Status.FAILED)
    make_generation(tenant, prompt="Kittens playing", status=Status.SUCCEEDED)
    page = as_bob.get("/generations/", {"q": "LIGHTHOUSE"}).content.decode()
    assert "in a storm" in page and "at noon" in page and "Kittens" not in page
    page = as_bob.get("/generations/", {"q": "lighthouse", "status": "succeeded"}).content.decode()
    assert "in a storm" in page and "at noon" not in page


def test_history_filters_by_creator_and_provider(as_alice, tenant, bob, alice):
    make_generation(tenant, prompt="by bob on kie", created_by_user=bob, provider="kie")
    make_generation(tenant, prompt="by alice on sandbox", created_by_user=alice)
    page = as_alice.get("/generations/", {"created_by": bob.id}).content.decode()
    assert "by bob on kie" in page and "by alice" not in page
    page = as_alice.get("/generations/", {"provider": "sandbox"}).content.decode()
    assert "by alice on sandbox" in page and "by bob" not in page


def test_history_filters_by_date_range(as_bob, tenant):
    from datetime import UTC, datetime

    make_generation(tenant, prompt="march clip", created_at=datetime(2026, 3, 5, 23, 59, tzinfo=UTC))
    make_generation(tenant, prompt="april clip", created_at=datetime(2026, 4, 1, 0, 0, tzinfo=UTC))
    page = as_bob.get("/generations/", {"created_after": "2026-03-05", "created_before": "2026-03-31"})
    assert "march clip" in page.content.decode() and "april clip" not in page.content.decode()


def test_history_pages_with_load_more_and_a_bounded_number_of_queries(
    as_bob, tenant, bob, api_key, django_assert_max_num_queries
):
    from datetime import UTC, datetime, timedelta

    start = datetime(2026, 1, 1, tzinfo=UTC)
    Generation.objects.bulk_create(
        [
            Generation(
                tenant=tenant,
                provider="sandbox",
                prompt=f"clip number {n:03d}",
                created_at=start + timedelta(minutes=n),
                created_by_user=bob if n % 2 else None,
                created_by_key=None if n % 2 else api_key[0],
                callback_token=f"tok-{n}",
                id=f"gen_{n:026d}",
            )
            for n in range(60)
        ]
    )
    # session, user, membership, generations, filter choices, context processor: no N+1, no COUNT(*).
    with django_assert_max_num_queries(8) as captured:
        first = as_bob.get("/generations/").content.decode()
    assert not any("COUNT(" in q["sql"].upper() for q in captured.captured_queries)
    assert "clip number 059" in first and "clip number 035" in first and "clip number 034" not in first
    more = as_bob.get("/generations/", {"after": f"gen_{35:026d}"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in more  # htmx gets the rows alone
    assert "clip number 034" in more and "clip number 010" in more and "clip number 009" not in more
    last = as_bob.get("/generations/", {"after": f"gen_{10:026d}"}).content.decode()
    assert "clip number 000" in last and "Load more" not in last


# --- Detail -----------------------------------------------------------------------------------


def test_detail_shows_parameters_cost_and_timeline(as_vera, tenant):
    key, _ = make_api_key(tenant, "CI key")
    generation = make_generation(
        tenant, prompt="Neon city rain", resolution="1080p", seed=7, quoted=72, held=72, created_by_key=key
    )
    GenerationEvent.record(generation, GenerationEvent.Kind.STATE, "pending → queued (poll)")
    page = as_vera.get(f"/generations/{generation.id}/").content.decode()
    assert "Neon city rain" in page and "1080p" in page and "72 credits" in page
    # The timeline opens with the creation, drawn from the row, then the stored events.
    created = f"Created by CI key ({key.prefix}…), asking for auto: 72 credits held"
    assert created in page and "pending → queued (poll)" in page
    assert page.index(created) < page.index("pending → queued (poll)")
    # Viewers see no cancel or duplicate button.
    assert "Duplicate as new" not in page and "/cancel/" not in page


def test_running_detail_polls_itself_until_terminal(as_bob, tenant):
    generation = make_generation(tenant, status=Status.RUNNING, quoted=32)
    live = f'hx-get="/generations/{generation.id}/live/"'
    assert live in as_bob.get(f"/generations/{generation.id}/").content.decode()
    assert live in as_bob.get(f"/generations/{generation.id}/live/").content.decode()
    Generation.objects.filter(pk=generation.pk).update(status=Status.SUCCEEDED, charged=32)
    done = as_bob.get(f"/generations/{generation.id}/live/").content.decode()
    assert "hx-get" not in done and "Succeeded" in done and "32 credits" in done


def test_succeeded_detail_plays_and_downloads_our_copy(as_bob, as_charlie, tenant):
    generation = make_generation(tenant, status=Status.SUCCEEDED)
    generation.video_file.save("clip.mp4", ContentFile(b"\x00\x00\x00\x18ftypmp42fake"))
    page = as_bob.get(f"/generations/{generation.id}/").content.decode()
    assert f'<video controls playsinline preload="metadata" src="/results/{generation.id}/video">' in page
    assert f'href="/results/{generation.id}/video?download=1"' in page
    video = as_bob.get(f"/results/{generation.id}/video")
    assert b"".join(video.streaming_content).startswith(b"\x00\x00\x00\x18ftyp")
    assert as_charlie.get(f"/results/{generation.id}/video").status_code == 404


def test_detail_keeps_refreshing_until_the_video_is_copied(as_bob, tenant):
    from django.utils import timezone

    generation = make_generation(
        tenant, status=Status.RUNNING, mirror_state="copying", video_url="https://cdn.example/v.mp4"
    )
    live = as_bob.get(f"/generations/{generation.id}/live/").content.decode()
    assert "Copying the video" in live and "hx-get" in live
    generation.video_file.save("clip.mp4", ContentFile(b"\x00\x00\x00\x18ftypmp42fake"), save=False)
    generation.status, generation.mirror_state, generation.finished_at = "succeeded", "copied", timezone.now()
    generation.save()
    done = as_bob.get(f"/generations/{generation.id}/live/").content.decode()
    assert "<video" in done and "hx-get" not in done


def test_member_cancels_a_running_generation(as_bob, tenant, bob, monkeypatch):
    calls = []
    monkeypatch.setattr(
        lifecycle, "cancel", lambda generation, actor=None: calls.append((generation.id, actor))
    )
    generation = make_generation(tenant, status=Status.PENDING)
    response = as_bob.post(f"/generations/{generation.id}/cancel/")
    assert response["Location"] == f"/generations/{generation.id}/"
    assert calls == [(generation.id, bob)]


def test_cancel_really_releases_the_credits(as_bob, tenant):
    fund(tenant, 100)
    as_bob.post("/generations/new/", FORM)
    generation = Generation.objects.get()
    as_bob.post(f"/generations/{generation.id}/cancel/")
    generation.refresh_from_db()
    assert generation.status == Status.CANCELLED
    assert balance(tenant).available == 100


def test_cancelling_a_finished_generation_explains_why_not(as_bob, tenant):
    generation = make_generation(tenant, status=Status.SUCCEEDED)
    page = as_bob.post(f"/generations/{generation.id}/cancel/", follow=True).content.decode()
    assert "can no longer be cancelled" in page


def test_viewer_cannot_cancel(as_vera, tenant):
    generation = make_generation(tenant, status=Status.RUNNING)
    assert as_vera.post(f"/generations/{generation.id}/cancel/").status_code == 403
    generation.refresh_from_db()
    assert generation.status == Status.RUNNING


@pytest.mark.parametrize("suffix", ["", "live/"])
def test_another_teams_generation_is_a_404(as_charlie, tenant, suffix):
    generation = make_generation(tenant)
    assert as_charlie.get(f"/generations/{generation.id}/{suffix}").status_code == 404


def test_another_teams_generation_cannot_be_cancelled(as_charlie, tenant):
    generation = make_generation(tenant, status=Status.RUNNING)
    assert as_charlie.post(f"/generations/{generation.id}/cancel/").status_code == 404
    generation.refresh_from_db()
    assert generation.status == Status.RUNNING


def test_spec_errors_on_fields_the_form_lacks_go_to_the_top(as_bob, tenant, monkeypatch):
    def refuse(*args, **kwargs):
        raise SpecError({"callback_url": "must be https."})

    monkeypatch.setattr(services, "create_generation", refuse)
    page = as_bob.post("/generations/new/", FORM).content.decode()
    assert "must be https." in page


def test_history_shows_a_thumbnail_once_the_last_frame_is_copied(as_bob, tenant):
    with_frame = make_generation(tenant, status=Status.SUCCEEDED, prompt="has a frame")
    with_frame.last_frame_file.save("last.png", ContentFile(png()))
    make_generation(tenant, status=Status.RUNNING, prompt="still running")
    page = as_bob.get("/generations/").content.decode()
    assert page.count('class="thumb"') == 1
    # The provider's last frame is the job's poster (generations.posters).
    assert f'src="/results/{with_frame.id}/poster"' in page
    assert as_bob.get(f"/results/{with_frame.id}/poster")["Content-Type"] == "image/png"


def test_a_failed_job_shows_its_error_and_no_empty_player(as_bob, tenant):
    generation = make_generation(
        tenant, status=Status.FAILED, error_code="500", error_message="Sandbox: generation failed."
    )
    page = as_bob.get(f"/generations/{generation.id}/").content.decode()
    assert "Sandbox: generation failed." in page
    assert 'id="player"' not in page and "hx-get" not in page
