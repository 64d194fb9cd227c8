"""The serializers' shortcuts for speed must behave as DRF's own ways would.

The generation JSON is written out by hand, and it must say what the declared fields say:
they make the OpenAPI schema, so a key added to one and not the other would be a response that
breaks its own schema. Request bodies copy their declared fields shallowly, and must not share
state between two requests.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.files.base import ContentFile
from rest_framework import serializers

from generations.api.serializers import GenerationSerializer
from generations.models import Status
from tests.factories import make_generation

pytestmark = pytest.mark.django_db


def field_by_field(generation) -> dict:
    """DRF's own representation: every declared field in turn."""
    return dict(serializers.Serializer.to_representation(GenerationSerializer(generation), generation))


def test_a_new_generation_reads_as_its_declared_fields(tenant):
    generation = make_generation(tenant, status=Status.PENDING, quoted=32, held=32)

    data = GenerationSerializer(generation).data

    assert list(data) == list(GenerationSerializer().fields)
    assert data == field_by_field(generation)
    assert data["cost"] == {"quoted": 32, "held": 32, "charged": 0}
    assert data["video_url"] is None and data["error"] is None and data["started_at"] is None


def test_a_finished_generation_with_every_field_set_reads_the_same_both_ways(tenant):
    generation = make_generation(
        tenant,
        status=Status.FAILED,
        first_frame="data:image/png;base64," + "A" * 5000,
        last_frame="https://example.com/last.png",
        seed=42,
        generate_audio=True,
        callback_url="https://hooks.example.com/seedance",
        quoted=64,
        charged=0,
        error_code="provider_error",
        error_message="The provider said no.",
        started_at=datetime(2026, 11, 21, 10, 0, 5, 123456, tzinfo=UTC),
        finished_at=datetime(2026, 11, 21, 10, 1, tzinfo=UTC),
    )
    generation.video_file.save("v.mp4", ContentFile(b"\x00" * 16), save=True)

    data = GenerationSerializer(generation).data

    assert data == field_by_field(generation)
    assert data["first_frame"] == "data:image/png;base64,[5000 base64 characters omitted]"
    assert data["error"] == {"code": "provider_error", "message": "The provider said no."}
    assert data["video_url"] is None  # only a success links its video, and then always
    assert data["started_at"] == "2026-11-21T10:00:05.123456Z"


def test_request_bodies_get_fields_of_their_own():
    """The request serializer copies its declared fields shallowly: nothing may leak between two."""
    from generations.api.serializers import GenerationRequestSerializer

    first = GenerationRequestSerializer(data={"prompt": "A cat yawning", "duration": 8})
    second = GenerationRequestSerializer(data={"prompt": 7})

    assert first.is_valid() and not second.is_valid()
    assert first.fields["prompt"] is not second.fields["prompt"]
    assert first.fields["prompt"].parent is first and second.fields["prompt"].parent is second
    assert "prompt" in second.errors and first.validated_data["duration"] == 8
    # The class's own declared fields are templates: never bound to a request.
    assert GenerationRequestSerializer._declared_fields["prompt"].parent is None
