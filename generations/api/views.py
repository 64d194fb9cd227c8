"""REST API v1 views: authenticate (DRF), validate (serializers), call a service, answer.

Every query starts from the API key's tenant, so another tenant's id is a 404, never a 403.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from billing import services as billing
from generations import files, lifecycle, pricing, routing, services
from generations.api import idempotency
from generations.api.images import ImageProblem
from generations.api.pagination import NewestFirstPagination, PageSerializer
from generations.api.parsers import LimitedJSONParser
from generations.api.schema import errors
from generations.api.serializers import (
    BalanceSerializer,
    FileSerializer,
    GenerationFilterSerializer,
    GenerationPageSerializer,
    GenerationRequestSerializer,
    GenerationSerializer,
    LedgerEntrySerializer,
    LedgerPageSerializer,
    ProviderSerializer,
    QuoteSerializer,
)
from generations.models import Generation, UploadedImage
from seedance_site import validators

CREATE_EXAMPLE = OpenApiExample(
    "text to video",
    request_only=True,
    value={
        "prompt": "A cat yawning at the camera",
        "provider": "auto",
        "aspect_ratio": "16:9",
        "resolution": "720p",
        "duration": 8,
        "generate_audio": False,
    },
)
GENERATION_EXAMPLE = OpenApiExample(
    "a new generation",
    response_only=True,
    value={
        "id": "gen_01jd3q7m2k8r5t0v9w4x6y1z3a",
        "status": "pending",
        "provider": "kie",
        "prompt": "A cat yawning at the camera",
        "first_frame": None,
        "last_frame": None,
        "aspect_ratio": "16:9",
        "resolution": "720p",
        "duration": 8,
        "generate_audio": False,
        "camera_fixed": False,
        "seed": None,
        "watermark": False,
        "callback_url": None,
        "cost": {"quoted": 32, "held": 32, "charged": 0},
        "video_url": None,
        "last_frame_url": None,
        "poster_url": None,
        "error": None,
        "created_at": "2026-01-05T10:00:00Z",
        "started_at": None,
        "finished_at": None,
    },
)
IDEMPOTENCY_HEADER = OpenApiParameter(
    idempotency.HEADER,
    {"type": "string", "minLength": 1, "maxLength": idempotency.MAX_KEY_LENGTH, "pattern": r"^\S(.*\S)?$"},
    OpenApiParameter.HEADER,
    description="Makes the create safe to retry: the same key with the same body within 24 h returns the "
    "first response again and creates nothing; with another body it is a 409.",
)
GENERATION_ID_SCHEMA = {"type": "string", "pattern": f"^{validators.GENERATION_ID_PATTERN}$"}
ID_PARAMETER = OpenApiParameter(
    "generation_id", GENERATION_ID_SCHEMA, OpenApiParameter.PATH, description="The generation id (gen_...)."
)


class ApiView(APIView):
    parser_classes = [LimitedJSONParser]

    @property
    def tenant(self):
        return self.request.auth.tenant

    def get_generation(self, generation_id: str) -> Generation:
        return get_object_or_404(Generation.objects.for_tenant(self.tenant), pk=generation_id)


class GenerationsView(ApiView):
    @extend_schema(
        operation_id="generations_list",
        summary="List generations, newest first",
        parameters=[GenerationFilterSerializer],
        responses={200: GenerationPageSerializer, **errors(401, 404, 422, 429)},
    )
    def get(self, request):
        filters = GenerationFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        queryset = filters.filter(Generation.objects.for_tenant(self.tenant))
        paginator = NewestFirstPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(GenerationSerializer(page, many=True).data)

    @extend_schema(
        operation_id="generations_create",
        summary="Create a generation (holds its price in credits)",
        parameters=[IDEMPOTENCY_HEADER],
        request=GenerationRequestSerializer,
        examples=[CREATE_EXAMPLE, GENERATION_EXAMPLE],
        responses={
            201: OpenApiResponse(GenerationSerializer, description="Created; replays return the same body."),
            **errors(400, 401, 402, 403, 409, 413, 415, 422, 429),
        },
    )
    def post(self, request):
        key = idempotency.clean_key(request.headers.get(idempotency.HEADER))
        if key is None:
            status, body, _ = self._create(request)
            return Response(body, status=status)
        outcome = idempotency.run_once(self.tenant, key, request.data, lambda: self._create(request))
        response = HttpResponse(outcome.content, status=outcome.status, content_type="application/json")
        if outcome.replayed:
            response["Idempotent-Replayed"] = "true"
        return response

    def _create(self, request) -> tuple[int, dict, Generation]:
        serializer = GenerationRequestSerializer(data=request.data, context={"tenant": self.tenant})
        serializer.is_valid(raise_exception=True)
        generation = services.create_generation(
            self.tenant,
            spec=serializer.spec(),
            provider=serializer.validated_data["provider"],
            api_key=request.auth,
            callback_url=serializer.validated_data["callback_url"] or "",
        )
        return 201, GenerationSerializer(generation).data, generation


class GenerationView(ApiView):
    @extend_schema(
        operation_id="generations_retrieve",
        summary="One generation",
        parameters=[ID_PARAMETER],
        responses={200: GenerationSerializer, **errors(401, 404, 429)},
    )
    def get(self, request, generation_id: str):
        return Response(GenerationSerializer(self.get_generation(generation_id)).data)


class CancelView(ApiView):
    @extend_schema(
        operation_id="generations_cancel",
        summary="Cancel a generation and release its credits",
        description="Cancelling a cancelled generation is a no-op; a finished one is a 409 not_cancellable.",
        parameters=[ID_PARAMETER],
        request=None,
        responses={200: GenerationSerializer, **errors(401, 404, 409, 429)},
    )
    def post(self, request, generation_id: str):
        generation = lifecycle.cancel(self.get_generation(generation_id), actor=request.auth)
        return Response(GenerationSerializer(generation).data)


class QuoteView(ApiView):
    @extend_schema(
        operation_id="quotes_create",
        summary="Price a generation without creating it",
        request=GenerationRequestSerializer,
        examples=[CREATE_EXAMPLE],
        responses={200: QuoteSerializer, **errors(400, 401, 413, 415, 422, 429)},
    )
    def post(self, request):
        serializer = GenerationRequestSerializer(data=request.data, context={"tenant": self.tenant})
        serializer.is_valid(raise_exception=True)
        spec = serializer.spec()
        spec.check()
        adapter = routing.choose(spec, requested=serializer.validated_data["provider"])
        quote = pricing.quote(spec, adapter.slug)
        available = billing.balance(self.tenant).available
        return Response({"provider": adapter.slug, **quote.as_dict(), "available": available})


class BalanceView(ApiView):
    @extend_schema(
        operation_id="balance_retrieve",
        summary="Credits: balance, held by running jobs, available",
        responses={200: BalanceSerializer, **errors(401, 429)},
    )
    def get(self, request):
        return Response(billing.balance(self.tenant).as_dict())


class LedgerView(ApiView):
    @extend_schema(
        operation_id="ledger_list",
        summary="Every credit movement, newest first",
        parameters=[PageSerializer],
        responses={200: LedgerPageSerializer, **errors(401, 404, 422, 429)},
    )
    def get(self, request):
        PageSerializer(data=request.query_params).is_valid(raise_exception=True)
        paginator = NewestFirstPagination()
        page = paginator.paginate_queryset(billing.ledger(self.tenant), request, view=self)
        return paginator.get_paginated_response(LedgerEntrySerializer(page, many=True).data)


class ProvidersView(ApiView):
    @extend_schema(
        operation_id="providers_list",
        summary="Enabled providers: what each accepts, its price, speed and health",
        description="`reference_price` prices 8 s of 720p without audio on Seedance 1.5 Pro. "
        "`median_seconds` (creation to success) and `success_rate` cover the last "
        "PROVIDER_STATS_DAYS days of jobs on the provider; null without data. `health.skipped` is "
        "true while routing skips the provider because its recent create calls mostly failed.",
        responses={200: ProviderSerializer(many=True), **errors(401, 429)},
    )
    def get(self, request):
        return Response(ProviderSerializer(routing.overview(), many=True).data)


class FilesView(ApiView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="files_create",
        summary="Upload an image to use as first_frame, last_frame or a reference image",
        description="Multipart form with one `file`. The same checks as a data: URI apply. The answer's "
        "`id` or `url` can be given as an image of a generation, on any provider, until `expires_at`.",
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"],
            }
        },
        responses={201: FileSerializer, **errors(400, 401, 413, 415, 422, 429)},
    )
    def post(self, request):
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": "Attach the image as the multipart field `file`."})
        try:
            image = files.upload(self.tenant, upload)
        except ImageProblem as problem:
            raise ValidationError({"file": str(problem)}) from None
        return Response(FileSerializer(image).data, status=201)


class FileView(ApiView):
    @extend_schema(
        operation_id="files_retrieve",
        summary="One uploaded file",
        parameters=[OpenApiParameter("file_id", str, OpenApiParameter.PATH, description="file_...")],
        responses={200: FileSerializer, **errors(401, 404, 429)},
    )
    def get(self, request, file_id: str):
        image = get_object_or_404(UploadedImage.objects.for_tenant(self.tenant), pk=file_id)
        return Response(FileSerializer(image).data)
