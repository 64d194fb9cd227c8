"""REST API v1: the tenant webhook, its delivery log, and result downloads.

Thin views: authenticate (bearer key, DRF), call generations.webhooks.services /
generations.webhooks.delivery / generations.results, answer. Every query starts from the key's
tenant, so another tenant's id is a 404.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.cache import add_never_cache_headers
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.response import Response

from generations import downloads, results
from generations.api.pagination import NewestFirstPagination, PageSerializer
from generations.api.schema import errors
from generations.api.serializers import PublicUrlField, StrictSerializer
from generations.api.throttles import DownloadThrottle
from generations.api.views import ID_PARAMETER, ApiView
from generations.webhooks import delivery as sender
from generations.webhooks import services
from generations.webhooks.models import ALL_EVENTS, WebhookDelivery, WebhookEndpoint, default_events
from seedance_site import validators


class WebhookSerializer(serializers.Serializer):
    url = serializers.URLField(allow_null=True)
    events = serializers.ListField(child=serializers.ChoiceField(choices=ALL_EVENTS))
    enabled = serializers.BooleanField()
    disabled_at = serializers.DateTimeField(allow_null=True)
    disabled_reason = serializers.CharField(allow_blank=True)
    consecutive_failures = serializers.IntegerField()
    secret_hint = serializers.CharField(allow_null=True, help_text="The end of the signing secret.")
    secret = serializers.CharField(
        required=False, help_text="whsec_...: only in the answer that created or rotated it."
    )


def _no_store(response: Response, shows_secret: bool) -> Response:
    """An answer carrying the signing secret must not be kept by any cache."""
    if shows_secret:
        add_never_cache_headers(response)
    return response


def webhook_json(endpoint: WebhookEndpoint | None, *, secret: bool = False) -> dict:
    if endpoint is None:
        return {
            "url": None,
            "events": default_events(),
            "enabled": True,
            "disabled_at": None,
            "disabled_reason": "",
            "consecutive_failures": 0,
            "secret_hint": None,
        }
    body = {
        "url": endpoint.url or None,
        "events": endpoint.events,
        "enabled": endpoint.is_enabled,
        "disabled_at": endpoint.disabled_at,
        "disabled_reason": endpoint.disabled_reason,
        "consecutive_failures": endpoint.consecutive_failures,
        "secret_hint": endpoint.secret_hint,
    }
    if secret:
        body["secret"] = endpoint.secret
    return body


class DeliverySerializer(serializers.ModelSerializer):
    generation_id = serializers.CharField(allow_null=True)
    redelivery_of = serializers.IntegerField(source="redelivery_of_id", allow_null=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "webhook_id",
            "event_type",
            "target",
            "url",
            "generation_id",
            "state",
            "attempts",
            "status_code",
            "latency_ms",
            "response_excerpt",
            "error",
            "next_attempt_at",
            "last_attempt_at",
            "delivered_at",
            "created_at",
            "redelivery_of",
        ]


class DeliveryPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The next (older) page, or null.")
    previous = serializers.URLField(allow_null=True, help_text="The previous (newer) page, or null.")
    results = DeliverySerializer(many=True)


class DeliveryFilterSerializer(PageSerializer):
    """Query parameters of GET /api/v1/webhook/deliveries."""

    state = serializers.ChoiceField(choices=WebhookDelivery.State.values, required=False)
    generation_id = serializers.RegexField(
        rf"^{validators.GENERATION_ID_PATTERN}\Z",
        required=False,
        help_text="Only this generation's deliveries (gen_...).",
        error_messages={"invalid": "must be a generation id (gen_...)."},
    )


class WebhookRequestSerializer(StrictSerializer):
    """The body of PUT /api/v1/webhook (documentation: generations.webhooks.services checks it)."""

    url = PublicUrlField()
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=ALL_EVENTS),
        required=False,
        allow_null=True,
        min_length=1,
        help_text="Omitted or null: keep the current events.",
    )
    enabled = serializers.BooleanField(required=False, allow_null=True, help_text="Omitted or null: enable.")


PUT_FIELDS = set(WebhookRequestSerializer._declared_fields)


class WebhookView(ApiView):
    @extend_schema(
        operation_id="webhook_retrieve",
        summary="The tenant's webhook endpoint (the secret is not shown again)",
        responses={200: WebhookSerializer, **errors(401, 429)},
    )
    def get(self, request):
        return Response(webhook_json(WebhookEndpoint.objects.filter(tenant=self.tenant).first()))

    @extend_schema(
        operation_id="webhook_update",
        summary="Set the webhook endpoint; the first time, the answer holds the signing secret",
        request=WebhookRequestSerializer,
        responses={200: WebhookSerializer, **errors(400, 401, 422, 429)},
    )
    def put(self, request):
        data = request.data
        if not isinstance(data, dict):
            raise services.InvalidWebhook({"non_field_errors": "the body must be a JSON object."})
        unknown = sorted(set(data) - PUT_FIELDS)
        if unknown:
            raise services.InvalidWebhook({field: "is not a known field." for field in unknown})
        endpoint, secret_is_new = services.configure(
            self.tenant, url=data.get("url"), events=data.get("events"), enabled=data.get("enabled")
        )
        return _no_store(Response(webhook_json(endpoint, secret=secret_is_new)), secret_is_new)


class RotateView(ApiView):
    @extend_schema(
        operation_id="webhook_rotate",
        summary="Replace the signing secret (the answer holds the new one)",
        request=None,
        responses={200: WebhookSerializer, **errors(401, 429)},
    )
    def post(self, request):
        endpoint = services.rotate_secret(self.tenant, actor=request.auth, request=request)
        return _no_store(Response(webhook_json(endpoint, secret=True)), True)


class DeliveriesView(ApiView):
    @extend_schema(
        operation_id="webhook_deliveries_list",
        summary="The webhook delivery log, newest first",
        parameters=[DeliveryFilterSerializer],
        responses={200: DeliveryPageSerializer, **errors(401, 404, 422, 429)},
    )
    def get(self, request):
        filters = DeliveryFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        queryset = WebhookDelivery.objects.for_tenant(self.tenant)
        if "state" in filters.validated_data:
            queryset = queryset.filter(state=filters.validated_data["state"])
        if "generation_id" in filters.validated_data:
            queryset = queryset.filter(generation_id=filters.validated_data["generation_id"])
        paginator = NewestFirstPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(DeliverySerializer(page, many=True).data)


class RedeliverView(ApiView):
    @extend_schema(
        operation_id="webhook_delivery_redeliver",
        summary="Send a delivery again (same webhook-id and body, a new log row)",
        request=None,
        responses={202: DeliverySerializer, **errors(401, 404, 409, 429)},
    )
    def post(self, request, delivery_id: int):
        original = get_object_or_404(WebhookDelivery.objects.for_tenant(self.tenant), pk=delivery_id)
        return Response(DeliverySerializer(sender.redeliver(original)).data, status=202)


class ResultFileView(ApiView):
    """Our copy of a result file, to the owning tenant only (?download=1 as an attachment)."""

    kind: str
    # Downloads count against the tenant's download limit, not the API's request limits.
    throttle_classes = [DownloadThrottle]
    max_age: int | None = None  # how long the client may reuse the answer; None: never

    def get(self, request, generation_id: str):
        file, content_type, filename = results.open_result(self.tenant, generation_id, self.kind)
        return downloads.respond(
            file,
            content_type,
            filename,
            as_attachment=request.query_params.get("download") == "1",
            max_age=self.max_age,
        )


@extend_schema_view(
    get=extend_schema(
        operation_id="generations_video_download",
        parameters=[ID_PARAMETER],
        summary="Download our copy of the video (?download=1 as an attachment)",
        responses={(200, "video/mp4"): bytes, **errors(401, 404, 409, 429)},
    )
)
class VideoFileView(ResultFileView):
    kind = "video"


@extend_schema_view(
    get=extend_schema(
        operation_id="generations_last_frame_download",
        parameters=[ID_PARAMETER],
        summary="Download our copy of the last frame (?download=1 as an attachment)",
        responses={(200, "image/png"): bytes, **errors(401, 404, 409, 429)},
    )
)
class LastFrameFileView(ResultFileView):
    kind = "last_frame"


@extend_schema_view(
    get=extend_schema(
        operation_id="generations_poster_download",
        parameters=[ID_PARAMETER],
        summary="Download the poster frame: a still of our copy (or the provider's last frame)",
        responses={(200, "image/jpeg"): bytes, **errors(401, 404, 409, 429)},
    )
)
class PosterFileView(ResultFileView):
    """Small stills a gallery shows by the dozen, as the portal's: counted against the API's
    request limits rather than the download limit, and reusable for a few minutes."""

    kind = "poster"
    throttle_classes = ApiView.throttle_classes
    max_age = downloads.POSTER_MAX_AGE
