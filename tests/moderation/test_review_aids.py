"""What a moderator needs to decide: why a job was held (the matched terms, marked in the prompt),
its input frames as images, and, on the detail page, the video itself (our copy)."""

from __future__ import annotations

import base64
import io

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from accounts.models import ModerationTerm
from generations.models import Status
from tests.factories import make_generation
from tests.moderation.conftest import REVIEW_QUEUE


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (480, 320), (200, 120, 40)).save(out, format="PNG")
    return out.getvalue()


PNG = _png()
PNG_URI = "data:image/png;base64," + base64.b64encode(PNG).decode()


@pytest.fixture
def held(create, settings):
    settings.MODERATION_REVIEW_TERMS = ["volcano", "lava flow"]

    def make(prompt="A Volcano with a red LAVA FLOW at night", **fields):
        generation = create(prompt=prompt, **fields)
        assert generation.status == Status.AWAITING_REVIEW
        return generation

    return make


def test_the_queue_marks_the_terms_that_held_each_job(held, staff_client, sam):
    ModerationTerm.objects.create(term="night", kind=ModerationTerm.Kind.REVIEW, created_by=sam)
    generation = held()

    page = staff_client.get(reverse(REVIEW_QUEUE)).content.decode()

    assert generation.pk in page
    assert '<mark class="term">Volcano</mark>' in page
    assert '<mark class="term">LAVA FLOW</mark>' in page
    assert '<mark class="term">night</mark>' in page  # a term staff added in the admin
    assert "Held: The prompt contains “volcano”, “lava flow”, “night”" in page


def test_a_team_under_review_says_so_and_marks_nothing(create, staff_client, funded):
    funded.review_all = True
    funded.save()
    generation = create(prompt="A quiet meadow", tenant=funded)

    page = staff_client.get(reverse(REVIEW_QUEUE)).content.decode()

    assert generation.pk in page
    assert "Held: Every job of this team is reviewed" in page
    assert "<mark" not in page


def test_the_marked_prompt_stays_escaped(held, staff_client):
    held(prompt='<script>alert("volcano")</script> volcano')

    page = staff_client.get(reverse(REVIEW_QUEUE)).content.decode()

    assert "<script>alert" not in page
    assert '&lt;script&gt;alert(&quot;<mark class="term">volcano</mark>&quot;)&lt;/script&gt;' in page


def test_the_queue_and_the_detail_page_show_the_input_frames_as_images(held, staff_client):
    generation = held(first_frame=PNG_URI)

    queue = staff_client.get(reverse(REVIEW_QUEUE)).content.decode()
    detail = staff_client.get(
        reverse("admin:generations_generation_change", args=[generation.pk])
    ).content.decode()

    frame_url = reverse("admin:generations_generation_frame", args=[generation.pk, "first"])
    for page in (queue, detail):
        assert f'<img src="{frame_url}" alt="First frame of {generation.pk}"' in page
    assert "The prompt contains “volcano”" in detail  # why held, on the detail page too
    response = staff_client.get(frame_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response.content == PNG
    assert (
        staff_client.get(
            reverse("admin:generations_generation_frame", args=[generation.pk, "last"])
        ).status_code
        == 404
    )


def test_the_detail_page_plays_our_copy_of_the_video(staff_client, tenant):
    generation = make_generation(tenant, status=Status.SUCCEEDED)
    generation.video_file.save("v.mp4", ContentFile(b"\x00\x00\x00\x18ftypmp42 our copy"), save=True)
    generation.hidden_at = None
    generation.save()

    page = staff_client.get(
        reverse("admin:generations_generation_change", args=[generation.pk])
    ).content.decode()

    video_url = reverse("admin:generations_generation_video", args=[generation.pk])
    assert f'<video controls preload="metadata" class="admin-video" src="{video_url}"' in page
    response = staff_client.get(video_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "video/mp4"
    assert b"".join(response.streaming_content).endswith(b"our copy")
    assert "inline" in response["Content-Disposition"]


def test_a_job_without_a_copy_has_no_player(staff_client, tenant):
    generation = make_generation(tenant, status=Status.RUNNING)

    page = staff_client.get(
        reverse("admin:generations_generation_change", args=[generation.pk])
    ).content.decode()

    assert "<video" not in page
    assert (
        staff_client.get(reverse("admin:generations_generation_video", args=[generation.pk])).status_code
        == 404
    )


def test_only_staff_reach_the_video_and_the_frames(held, tenant, alice):
    generation = make_generation(tenant, status=Status.SUCCEEDED)
    generation.video_file.save("v.mp4", ContentFile(b"\x00\x00\x00\x18ftypmp42"), save=True)
    member = Client()
    member.force_login(alice)

    for url in (
        reverse("admin:generations_generation_video", args=[generation.pk]),
        reverse("admin:generations_generation_frame", args=[generation.pk, "first"]),
    ):
        response = member.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
