"""The Kie-compatible surface: POST /api/v1/jobs/createTask and GET /api/v1/jobs/recordInfo.

For customers who already wrote code against Kie's market jobs API (Kie, "Seedance 1.5 Pro I2V
api call for Kie"): the same
request body, Kie's envelope `{"code", "msg", "data"}` with Kie's codes in the body, Kie's
states (waiting, queuing, generating, success, fail) and `resultJson` as a JSON string.
The HTTP status matches the outcome too (200, 401, 404, 422, ...), so plain HTTP clients
and Kie clients that only read `code` both work. The Kie taskId is our generation id.

Kie-shaped callbacks: `callBackUrl` is stored on KieTask; when the job ends,
`kie_callback(generation)` gives the URL and body to POST. Delivery (signed, retried,
SSRF-guarded) is the customer-webhook machinery's job: the outbox worker (generations.followups)
writes a Kie delivery for each change into a terminal state (generations.webhooks.outbox).
"""

from __future__ import annotations

import json
import logging

from django.db import transaction
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.response import Response

from generations import services
from generations.api.links import result_url
from generations.api.models import KieTask
from generations.api.serializers import (
    ImageField,
    PublicUrlField,
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictSerializer,
)
from generations.api.views import GENERATION_ID_SCHEMA, ApiView
from generations.models import Generation, Status
from generations.spec import MAX_DURATION, MIN_DURATION, PROMPT_MAX, PROMPT_MIN, RESOLUTIONS, GenerationSpec
from seedance_site import validators
from seedance_site.api_errors import api_exception_handler

log = logging.getLogger(__name__)

KIE_MODEL = "bytedance/seedance-1.5-pro"
KIE_ASPECT_RATIOS = ("1:1", "21:9", "4:3", "3:4", "16:9", "9:16")  # Kie has no "adaptive"
KIE_DURATIONS = tuple(range(MIN_DURATION, MAX_DURATION + 1))

# Our statuses in Kie's words.
KIE_STATES = {
    Status.AWAITING_REVIEW: "waiting",
    Status.PENDING: "waiting",
    Status.QUEUED: "queuing",
    Status.RUNNING: "generating",
    Status.SUCCEEDED: "success",
    Status.FAILED: "fail",
    Status.CANCELLED: "fail",
    Status.EXPIRED: "fail",
    Status.REJECTED: "fail",
}
# Kie body codes for our HTTP statuses where Kie has no code of its own
# (Apikley's error code list, "Bytedance - Seedance 1.5 Pro").
_KIE_CODES = {400: 422, 403: 401, 405: 404, 406: 422, 409: 422, 413: 422, 415: 422}


# --- Request -----------------------------------------------------------------------------------


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "enum": [str(d) for d in KIE_DURATIONS]},
            {"type": "integer", "enum": list(KIE_DURATIONS)},
        ],
        "description": 'Seconds, as a string ("8") or a number (8).',
    }
)
class KieDurationField(serializers.Field):
    """Kie's v1 docs send "8" (a string), its v2 docs and Apikley send 8: both are accepted."""

    default_error_messages = {"invalid": f"must be one of {', '.join(map(str, KIE_DURATIONS))} (seconds)."}

    def to_internal_value(self, data):
        if isinstance(data, str) and data.isdigit():
            data = int(data)
        if isinstance(data, bool) or not isinstance(data, int) or data not in KIE_DURATIONS:
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return str(value)


class KieInputSerializer(StrictSerializer):
    prompt = StrictCharField(min_length=PROMPT_MIN, max_length=PROMPT_MAX, trim_whitespace=False)
    input_urls = serializers.ListField(
        child=ImageField(), max_length=2, default=list, help_text="0-2 images: first frame, then last frame."
    )
    aspect_ratio = StrictChoiceField(choices=KIE_ASPECT_RATIOS, default="1:1")
    resolution = StrictChoiceField(choices=RESOLUTIONS, default="720p")
    duration = KieDurationField(default=8)
    fixed_lens = StrictBooleanField(default=False)
    generate_audio = StrictBooleanField(default=False)
    # Kie's v2 field; accepted for compatibility and ignored (we run our own moderation).
    nsfw_checker = StrictBooleanField(required=False)


class KieCreateTaskSerializer(StrictSerializer):
    model = StrictChoiceField(choices=[KIE_MODEL])
    callBackUrl = PublicUrlField(required=False, allow_blank=True)
    input = KieInputSerializer()

    def spec(self) -> GenerationSpec:
        data = self.validated_data["input"]
        urls = data["input_urls"]
        return GenerationSpec(
            prompt=data["prompt"],
            first_frame=urls[0] if urls else None,
            last_frame=urls[1] if len(urls) > 1 else None,
            aspect_ratio=data["aspect_ratio"],
            resolution=data["resolution"],
            duration=data["duration"],
            generate_audio=data["generate_audio"],
            camera_fixed=data["fixed_lens"],
        )


# --- Response shapes (documentation) ------------------------------------------------------------


class KieTaskIdSerializer(serializers.Serializer):
    taskId = serializers.CharField()


class KieEnvelopeSerializer(serializers.Serializer):
    code = serializers.IntegerField(help_text="200 on success; otherwise Kie's error code.")
    msg = serializers.CharField()
    message = serializers.CharField(help_text="The same as msg (Kie's create task page names it message).")


class KieCreateTaskResponseSerializer(KieEnvelopeSerializer):
    data = KieTaskIdSerializer()


class KieRecordSerializer(serializers.Serializer):
    taskId = serializers.CharField()
    model = serializers.CharField()
    state = serializers.ChoiceField(choices=["waiting", "queuing", "generating", "success", "fail"])
    param = serializers.CharField(help_text="The original request, as a JSON string.")
    resultJson = serializers.CharField(help_text='JSON string: {"resultUrls": [...]}, or "" until success.')
    failCode = serializers.CharField()
    failMsg = serializers.CharField()
    costTime = serializers.IntegerField(allow_null=True, help_text="Seconds from start to end.")
    creditsConsumed = serializers.IntegerField()
    createTime = serializers.IntegerField(help_text="Unix milliseconds.")
    updateTime = serializers.IntegerField()
    completeTime = serializers.IntegerField(allow_null=True)


class KieRecordInfoResponseSerializer(KieEnvelopeSerializer):
    data = KieRecordSerializer()


class KieErrorSerializer(KieEnvelopeSerializer):
    data = serializers.JSONField(allow_null=True, help_text="Always null on errors.")


def _kie_errors(*statuses: int) -> dict[int, OpenApiResponse]:
    examples = {
        400: (422, "Malformed JSON body."),
        401: (401, "Unknown, revoked or expired API key."),
        402: (402, "Not enough credits: this generation needs 64 credits and 10 are available."),
        403: (401, "Tenant 'acme' is suspended: new generations are refused."),
        404: (404, "Task not found."),
        413: (422, "The request body is too large."),
        415: (422, 'Unsupported media type "text/plain" in request.'),
        422: (422, "input.duration: must be one of 4, 5, 6, 7, 8, 9, 10, 11, 12 (seconds)."),
        429: (429, "Request was throttled. Expected available in 12 seconds."),
    }
    out = {}
    for status in statuses:
        code, msg = examples[status]
        out[status] = OpenApiResponse(
            KieErrorSerializer,
            description=f"Kie code {code}.",
            examples=[
                OpenApiExample(
                    f"kie {code}",
                    value={"code": code, "msg": msg, "message": msg, "data": None},
                    status_codes=[str(status)],
                )
            ],
        )
    return out


# --- Mapping a generation to Kie's record ---------------------------------------------------------


def kie_state(generation: Generation) -> str:
    return KIE_STATES[Status(generation.status)]


def result_urls(generation: Generation) -> list[str]:
    """Our copy of the video. Kie clients download `resultUrls` as soon as the state is
    success; a generation is `succeeded` only once the copy exists (docs/api.md)."""
    url = result_url(generation, "video")
    return [url] if url else []


def _millis(moment) -> int | None:
    return int(moment.timestamp() * 1000) if moment else None


def _param(generation: Generation) -> str:
    """The Kie request that would have made this generation (for jobs made through /generations)."""
    images = [url for _, url in generation.spec.images]
    return _json(
        {
            "model": KIE_MODEL,
            "input": {
                "prompt": generation.prompt,
                "input_urls": images,
                "aspect_ratio": generation.aspect_ratio,
                "resolution": generation.resolution,
                "duration": str(generation.duration),
                "fixed_lens": generation.camera_fixed,
                "generate_audio": generation.generate_audio,
            },
        }
    )


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def record_info(generation: Generation) -> dict:
    """Kie's `data` object for recordInfo and callbacks."""
    kie_task = KieTask.objects.filter(generation=generation).first()
    state = kie_state(generation)
    started = generation.started_at or generation.created_at
    finished = generation.finished_at if state in ("success", "fail") else None
    return {
        "taskId": generation.id,
        "model": kie_task.model if kie_task else KIE_MODEL,
        "state": state,
        "param": kie_task.param if kie_task else _param(generation),
        "resultJson": _json({"resultUrls": result_urls(generation)}) if state == "success" else "",
        "failCode": (generation.error_code or "failed") if state == "fail" else "",
        "failMsg": generation.error_message if state == "fail" else "",
        "costTime": int((finished - started).total_seconds()) if finished else None,
        "creditsConsumed": generation.charged,
        "createTime": _millis(generation.created_at),
        "updateTime": _millis(generation.updated_at or generation.created_at),
        "completeTime": _millis(finished),
    }


def kie_callback_body(generation: Generation) -> dict:
    """The body Kie POSTs to callBackUrl when a task ends: code 200 on success, 501 on failure."""
    data = record_info(generation)
    if data["state"] == "success":
        return _envelope(200, "Task completed successfully.", data)
    return _envelope(501, data["failMsg"] or "Task failed.", data)


def kie_callback(generation: Generation) -> tuple[str, dict] | None:
    """(callBackUrl, body) when this generation owes its Kie caller a callback now, else None.

    Kie calls back once, on completion (success or fail).
    """
    kie_task = KieTask.objects.filter(generation=generation).first()
    if kie_task is None or not kie_task.callback_url:
        return None
    if kie_state(generation) not in ("success", "fail"):
        return None
    return kie_task.callback_url, kie_callback_body(generation)


# --- Views -------------------------------------------------------------------------------------


def _envelope(code: int, msg: str, data) -> dict:
    # Kie's OpenAPI says `msg`, its page "Seedance 1.5 Pro I2V api call for Kie" says `message`:
    # both, so either client reads it.
    return {"code": code, "msg": msg, "message": msg, "data": data}


def kie_exception_handler(exc, context):
    """Our error responses, re-shaped into Kie's envelope with Kie's code in the body."""
    response = api_exception_handler(exc, context)
    if response is None:
        log.exception("Kie-compatible API: unhandled error", exc_info=exc)
        return Response(_envelope(500, "Server error; it was logged.", None), status=500)
    error = response.data["error"]
    message = error["message"]
    if error["code"] in ("validation_error", "invalid_spec") and error["details"]:
        message = "; ".join(f"{field}: {problem}" for field, problem in error["details"].items())
    code = (
        433
        if error["code"] == "key_spend_limit"
        else _KIE_CODES.get(response.status_code, response.status_code)
    )
    response.data = _envelope(code, message, None)
    return response


class KieView(ApiView):
    def get_exception_handler(self):
        return kie_exception_handler


class CreateTaskView(KieView):
    @extend_schema(
        operation_id="kie_create_task",
        summary="Kie-compatible: create a Seedance 1.5 Pro task",
        tags=["kie-compatible"],
        request=KieCreateTaskSerializer,
        examples=[
            OpenApiExample(
                "Kie's request example",
                request_only=True,
                value={
                    "model": KIE_MODEL,
                    "callBackUrl": "https://your-domain.com/api/callback",
                    "input": {
                        "prompt": "A 70-year-old man says kindly to the child: good boy, study hard!",
                        "input_urls": [
                            "https://static.aiquickdraw.com/tools/example/1766556007862_Y451Ehaf.png"
                        ],
                        "aspect_ratio": "1:1",
                        "resolution": "720p",
                        "duration": "8",
                    },
                },
            ),
            OpenApiExample(
                "created",
                response_only=True,
                value=_envelope(200, "success", {"taskId": "gen_01jd3q7m2k8r5t0v9w4x6y1z3a"}),
            ),
        ],
        responses={
            200: KieCreateTaskResponseSerializer,
            **_kie_errors(400, 401, 402, 403, 413, 415, 422, 429),
        },
    )
    def post(self, request):
        serializer = KieCreateTaskSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            generation = services.create_generation(
                self.tenant, spec=serializer.spec(), provider="auto", api_key=request.auth
            )
            KieTask.objects.create(
                generation=generation,
                model=serializer.validated_data["model"],
                callback_url=serializer.validated_data.get("callBackUrl", ""),
                param=_json(request.data),
            )
        return Response(_envelope(200, "success", {"taskId": generation.id}))


class RecordInfoView(KieView):
    @extend_schema(
        operation_id="kie_record_info",
        summary="Kie-compatible: a task's state and result",
        tags=["kie-compatible"],
        parameters=[
            OpenApiParameter("taskId", GENERATION_ID_SCHEMA, required=True, description="From createTask.")
        ],
        responses={200: KieRecordInfoResponseSerializer, **_kie_errors(401, 404, 422, 429)},
    )
    def get(self, request):
        task_id = request.query_params.get("taskId", "").strip()
        if not task_id:
            raise serializers.ValidationError({"taskId": "is required."})
        generation = None
        if validators.is_generation_id(task_id):
            generation = Generation.objects.for_tenant(self.tenant).filter(pk=task_id).first()
        if generation is None:
            return Response(_envelope(404, "Task not found.", None), status=404)
        return Response(_envelope(200, "success", record_info(generation)))
