"""History as a gallery: posters with names, hover-to-play videos, status for jobs without a
video, a list/grid toggle that keeps the filters, and jobs created elsewhere appearing on top.
The detail page shows its input images and uses the poster."""

from __future__ import annotations

import base64
import re
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from generations.models import Status, UploadedImage
from tests.factories import make_generation
from tests.portal.test_generations import png

pytestmark = pytest.mark.django_db

MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\0" * 64


def with_video(tenant, prompt, *, poster=False, provider_frame=False, **fields):
    generation = make_generation(tenant, status=Status.SUCCEEDED, prompt=prompt, **fields)
    generation.video_file.save(f"{generation.pk}.mp4", ContentFile(MP4), save=False)
    if poster:
        generation.poster_file.save(
            f"{generation.pk}-poster.jpg", ContentFile(b"\xff\xd8\xff\xe0jpeg"), save=False
        )
    if provider_frame:
        generation.last_frame_file.save(f"{generation.pk}-last-frame.png", ContentFile(png()), save=False)
    generation.save()
    return generation


def cards(page: str) -> dict[str, str]:
    """Each gallery card's HTML by generation id."""
    found = re.findall(
        r'<li class="tile" data-generation="([^"]+)"(.*?)</li>\s*(?=<li|\{|</ul>|$)', page, re.DOTALL
    )
    return dict(found)


def test_the_grid_shows_posters_with_names_and_videos_that_play_on_hover(as_bob, tenant):
    kie = with_video(tenant, "A fox in the snow", poster=True, provider="kie")
    ark = with_video(tenant, "A boat at dusk", provider_frame=True, provider="ark")
    undecodable = with_video(tenant, "A broken clip")
    running = make_generation(tenant, status=Status.RUNNING, prompt="Still rendering")

    page = as_bob.get("/generations/?view=grid").content.decode()
    tiles = cards(page)

    assert set(tiles) == {kie.id, ark.id, undecodable.id, running.id}
    for job in (kie, ark):
        tile = tiles[job.id]
        assert f'<img src="/results/{job.id}/poster" alt="Poster frame: {job.prompt}"' in tile
        assert "data-hover-play" in tile and f'src="/results/{job.id}/video" muted' in tile
    assert "No preview" in tiles[undecodable.id] and "<img" not in tiles[undecodable.id]
    assert 'class="tile-media tile-status"' in tiles[running.id] and "<video" not in tiles[running.id]
    assert 'data-status="running"' in tiles[running.id]
    # The card of an unfinished job refreshes itself as a card.
    assert f'hx-get="/generations/{running.id}/row/?view=grid"' in tiles[running.id]
    card = as_bob.get(f"/generations/{running.id}/row/?view=grid").content.decode()
    assert '<li class="tile"' in card and "<tr" not in card
    assert '<script src="/static/js/history.js"' in page
    # Each poster is served to the team (the provider's image when it gave one).
    assert as_bob.get(f"/results/{ark.id}/poster")["Content-Type"] == "image/png"
    assert as_bob.get(f"/results/{kie.id}/poster")["Content-Type"] == "image/jpeg"


def test_the_toggle_keeps_filters_and_search_and_load_more_keeps_the_layout(as_bob, tenant):
    now = timezone.now()
    for n in range(27):
        with_video(tenant, f"A red fox number {n}", poster=True, created_at=now - timedelta(minutes=n))
    make_generation(tenant, status=Status.FAILED, prompt="A blue whale")

    page = as_bob.get("/generations/?q=fox&status=succeeded").content.decode()
    assert 'id="history"' in page and "<table" in page
    grid_link = re.search(r'href="\?([^"]*)"[^>]*>Grid<', page).group(1)
    assert grid_link == "q=fox&amp;status=succeeded&amp;view=grid"

    grid = as_bob.get("/generations/?q=fox&status=succeeded&view=grid").content.decode()
    assert '<ul class="gallery" id="history-items">' in grid and "A blue whale" not in grid
    assert len(cards(grid)) == 25
    assert '<input type="hidden" name="view" value="grid">' in grid  # filtering stays in the grid
    assert re.search(r'href="\?q=fox&amp;status=succeeded"[^>]*>List<', grid)
    assert re.search(r'href="\?q=fox&amp;status=succeeded&amp;view=grid"[^>]*aria-current="page"', grid)
    more = re.search(r'hx-get="\?([^"]+)" hx-target="#load-more"', grid).group(1).replace("&amp;", "&")
    assert "view=grid" in more and "q=fox" in more
    rest = as_bob.get(f"/generations/?{more}", headers={"HX-Request": "true"}).content.decode()
    assert len(cards(rest)) == 2 and "<tr" not in rest


def test_jobs_created_elsewhere_come_from_the_newer_poll_with_the_filters(
    as_bob, as_charlie, tenant, other_tenant
):
    now = timezone.now()
    first = make_generation(tenant, prompt="A fox at noon", created_at=now - timedelta(minutes=5))
    page = as_bob.get("/generations/?q=fox").content.decode()
    poll = re.search(r'id="history-newer" hidden hx-get="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert poll == f"/generations/newer/?q=fox&since={first.id}"
    assert 'hx-target="#history-items" hx-swap="afterbegin"' in page
    assert as_bob.get(poll).status_code == 204  # nothing new yet

    api_job = make_generation(tenant, prompt="A fox from the API", created_at=now)
    make_generation(tenant, prompt="A whale from the API", created_at=now)  # not matching
    answer = as_bob.get(poll, headers={"HX-Request": "true"}).content.decode()
    assert f'<tr data-generation="{api_job.id}"' in answer and "whale" not in answer
    assert f'data-generation="{first.id}"' not in answer
    # The page asks again after the newest row (history.js sends it as `since`): nothing new.
    assert as_bob.get(f"{poll}&since={api_job.id}").status_code == 204
    grid = as_bob.get(f"/generations/newer/?view=grid&since={first.id}").content.decode()
    assert '<li class="tile"' in grid and "<tr" not in grid
    # Another team's id is a 404.
    assert as_charlie.get(poll).status_code == 404


def test_an_empty_history_reloads_once_a_job_appears(as_bob, tenant):
    page = as_bob.get("/generations/").content.decode()
    assert 'hx-get="/generations/newer/?"' in page
    assert as_bob.get("/generations/newer/").status_code == 204
    make_generation(tenant)
    assert as_bob.get("/generations/newer/")["HX-Refresh"] == "true"


def test_the_detail_page_shows_input_images_and_the_poster(as_bob, as_charlie, tenant, other_tenant):
    data = png()
    uri = "data:image/png;base64," + base64.b64encode(data).decode()
    job = with_video(
        tenant,
        "From two frames",
        poster=True,
        first_frame=uri,
        last_frame="https://images.example.com/last.png",
    )
    page = as_bob.get(f"/generations/{job.id}/").content.decode()
    assert f'<img src="/generations/{job.id}/inputs/0" alt="First frame"' in page
    assert "Open the image at images.example.com" in page
    assert f'poster="/results/{job.id}/poster"' in page
    image = as_bob.get(f"/generations/{job.id}/inputs/0")
    assert (image["Content-Type"], image.content) == ("image/png", data)
    # The customer's own URL is never fetched by us; another team gets 404s.
    assert as_bob.get(f"/generations/{job.id}/inputs/1").status_code == 404
    assert as_bob.get(f"/generations/{job.id}/inputs/2").status_code == 404
    assert as_charlie.get(f"/generations/{job.id}/inputs/0").status_code == 404


def test_an_uploaded_reference_image_is_served_while_it_is_kept(as_bob, tenant, api_client):
    upload = api_client.post(
        "/api/v1/files", {"file": ContentFile(png(), name="ref.png")}, format="multipart"
    ).json()
    job = make_generation(tenant, model="seedance-2.0", reference_images=[upload["id"]])
    page = as_bob.get(f"/generations/{job.id}/").content.decode()
    assert f'<img src="/generations/{job.id}/inputs/0" alt="Reference image 1"' in page
    assert as_bob.get(f"/generations/{job.id}/inputs/0")["Content-Type"] == "image/png"
    # The upload expires: the page says so.
    UploadedImage.objects.filter(pk=upload["id"]).update(expires_at=timezone.now())
    assert "No longer stored" in as_bob.get(f"/generations/{job.id}/").content.decode()
    assert as_bob.get(f"/generations/{job.id}/inputs/0").status_code == 404
