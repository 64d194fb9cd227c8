from __future__ import annotations

import json
import re
import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import ApiKey, Tenant, TenantScopedQuerySet
from generations.ids import new_generation_id, new_id
from generations.spec import GenerationSpec


class Status(models.TextChoices):
    AWAITING_REVIEW = "awaiting_review", "Awaiting review"
    PENDING = "pending", "Pending"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"
    REJECTED = "rejected", "Rejected"


class Hold(models.TextChoices):
    """Where the generation's credits stand. The row is the hold (generations.holds): it is taken
    when the row is inserted and settled once, by capture or release."""

    NONE = "", "No hold"
    HELD = "held", "Held"
    CAPTURED = "captured", "Captured"
    RELEASED = "released", "Released"


class Mirror(models.TextChoices):
    """Where our copy of the provider's result stands (generations.results)."""

    NONE = "", "Nothing to copy yet"
    COPYING = "copying", "Copying"
    COPIED = "copied", "Copied"
    FAILED = "failed", "Could not be copied"


# A stage is a status, or `finishing`: running at our end while the provider's result is copied
# (status running, mirror copying). generations.lifecycle moves generations between stages.
FINISHING = "finishing"

TERMINAL = frozenset({Status.SUCCEEDED, Status.FAILED, Status.CANCELLED, Status.EXPIRED, Status.REJECTED})
IN_FLIGHT = frozenset({Status.QUEUED, Status.RUNNING})
OPEN = frozenset(set(Status) - TERMINAL)


def new_callback_token() -> str:
    return secrets.token_urlsafe(24)


class GenerationQuerySet(TenantScopedQuerySet):
    def open(self):
        return self.filter(status__in=OPEN)

    def in_flight(self):
        return self.filter(status__in=IN_FLIGHT)

    def search_prompt(self, text: str):
        """Prompts containing every word of `text`, in any order and case ("corgi wave" finds
        "A corgi surfing a small wave"). At most 8 words count."""
        found = self
        for word in text.split()[:8]:
            found = found.filter(prompt__icontains=word)
        return found

    def occupying_slots(self):
        """Jobs that count against the tenant's in-flight cap: at the provider (not finishing: the
        provider is done), or pending with a create call under way."""
        return self.filter(
            Q(status__in=IN_FLIGHT, mirror_state=Mirror.NONE)
            | Q(status=Status.PENDING, submission_started_at__isnull=False)
        )


class Generation(models.Model):
    """One video job: what was asked, where it runs, what it cost, what came back."""

    id = models.CharField(primary_key=True, max_length=32, default=new_generation_id, editable=False)
    # No index of its own: generations_tenant_recent (tenant, -created_at) leads with tenant_id,
    # so it serves every tenant lookup and the PROTECT check when a tenant is deleted.
    tenant = models.ForeignKey(Tenant, models.PROTECT, related_name="generations", db_index=False)
    created_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # No index of its own: generations_key_month (created_by_key, created_at) leads with it, so it
    # serves the key's monthly cap and the SET NULL when a key is deleted.
    created_by_key = models.ForeignKey(
        ApiKey, models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )

    # Where it runs: the provider asked for ("auto" or a slug) and the one chosen.
    requested_provider = models.CharField(max_length=20, default="auto")
    provider = models.CharField(max_length=20)

    # The normalised spec (generations.spec.GenerationSpec).
    prompt = models.TextField()
    first_frame = models.TextField(blank=True, default="")
    last_frame = models.TextField(blank=True, default="")
    aspect_ratio = models.CharField(max_length=10, default="16:9")
    resolution = models.CharField(max_length=10, default="720p")
    duration = models.IntegerField(default=8)  # seconds; -1 = let the model choose
    generate_audio = models.BooleanField(default=False)
    camera_fixed = models.BooleanField(default=False)
    seed = models.BigIntegerField(null=True, blank=True)
    watermark = models.BooleanField(default=False)
    model = models.CharField(max_length=40, default="seedance-1.5-pro")
    # NULL, not "": no tier asked for (the provider's own), which is not the same as "default".
    service_tier = models.CharField(max_length=10, null=True, blank=True)  # noqa: DJ001
    reference_images = models.JSONField(default=list, blank=True)  # as sent to the provider
    callback_url = models.URLField(max_length=2000, blank=True, default="")

    # Money, in integer credits. Only generations.holds writes these: `held` is reserved on the
    # tenant's account while hold_state is "held", `charged` is what the capture took.
    quoted = models.BigIntegerField(default=0)
    held = models.BigIntegerField(default=0)
    charged = models.BigIntegerField(default=0)
    hold_state = models.CharField(max_length=10, choices=Hold.choices, blank=True, default=Hold.NONE)

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    provider_task_id = models.CharField(max_length=200, blank=True, default="")
    provider_payload = models.JSONField(null=True, blank=True)  # the last raw status/callback body
    video_url = models.URLField(max_length=2000, blank=True, default="")  # the provider's URL
    last_frame_url = models.URLField(max_length=2000, blank=True, default="")
    video_file = models.FileField(upload_to="results/%Y/%m/", blank=True, default="")  # our mirror
    last_frame_file = models.FileField(upload_to="results/%Y/%m/", blank=True, default="")
    # A still of our copy of the video (generations.posters), made when the provider gives no
    # image of its own (last_frame_file); the gallery's thumbnail and the player's poster.
    poster_file = models.FileField(upload_to="results/%Y/%m/", blank=True, default="")
    actual_duration = models.IntegerField(null=True, blank=True)
    # The copy of the result (generations.results). Success waits for it: a generation is
    # `succeeded` only once mirror_state is "copied".
    mirror_state = models.CharField(max_length=10, choices=Mirror.choices, blank=True, default=Mirror.NONE)
    # When the provider's result reached us, and how ("callback" or "poll"): the poll schedule
    # learns from these how long jobs take (generations.polling).
    result_at = models.DateTimeField(null=True, blank=True)
    result_source = models.CharField(max_length=10, blank=True, default="")
    # How long the task took by the provider's own clock, where its status says so.
    provider_run_seconds = models.FloatField(null=True, blank=True)
    # Set when the files were deleted after the tenant's retention period.
    files_purged_at = models.DateTimeField(null=True, blank=True)
    error_code = models.CharField(max_length=100, blank=True, default="")
    error_message = models.TextField(blank=True, default="")

    callback_token = models.CharField(max_length=64, unique=True, default=new_callback_token)
    submit_attempts = models.PositiveIntegerField(default=0)
    # Set (and committed) just before the create call goes to the provider, cleared once its
    # outcome is saved. Still set on a pending row later means the worker died mid-call or the
    # call timed out after sending: a task may exist upstream, so the job is never resubmitted
    # blindly; tasks.poll_due() resolves it (docs/lifecycle.md, "Lost submissions").
    submission_started_at = models.DateTimeField(null=True, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True)
    poll_count = models.PositiveIntegerField(default=0)
    # When the latest status call that found the job still at work was sent: the job took at
    # least this long, however late its result was noticed (generations.polling learns from it).
    last_running_at = models.DateTimeField(null=True, blank=True)
    deadline = models.DateTimeField(null=True, blank=True)

    # Moderation.
    flagged = models.BooleanField(default=False)
    hidden_at = models.DateTimeField(null=True, blank=True)
    moderation_note = models.TextField(blank=True, default="")

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = models.Manager.from_queryset(GenerationQuerySet)()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # History pages and the API list: a tenant's jobs, newest first.
            models.Index(fields=["tenant", "-created_at"], name="generations_tenant_recent"),
            # The staff review queue: jobs awaiting review, oldest first.
            models.Index(
                fields=["created_at"],
                name="generations_review_queue",
                condition=Q(status="awaiting_review"),
            ),
            # Used by generations.holds.hold(): a capped key's spend since the first of the month.
            models.Index(fields=["created_by_key", "created_at"], name="generations_key_month"),
            # Staff search by the provider's task id (exact match).
            models.Index(fields=["provider_task_id"], name="generations_provider_task"),
            # Used by tasks.poll_due(): only open jobs are scanned for due polls.
            models.Index(
                fields=["next_poll_at"],
                name="generations_due_polls",
                condition=Q(status__in=["pending", "queued", "running"]),
            ),
            # Used by polling.expected(): the latest results of one kind of job.
            models.Index(
                fields=["provider", "resolution", "duration", "-result_at"],
                name="generations_recent_results",
                condition=Q(result_at__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(held__gte=0, charged__gte=0), name="generations_money_not_negative"
            ),
            # Never charged more than the customer agreed to (holds.capture charges at most
            # what was held, and a hold is the quote).
            models.CheckConstraint(
                condition=Q(charged__lte=F("quoted")), name="generations_charged_within_quote"
            ),
        ]

    def __str__(self) -> str:
        return self.id

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL

    @property
    def poster(self):
        """The still shown for the video: ours, else the provider's last frame ("" when none)."""
        return self.poster_file or self.last_frame_file

    @property
    def stage(self) -> str:
        """The status, or `finishing` while the provider's result is being copied."""
        if self.status == Status.RUNNING and self.mirror_state == Mirror.COPYING:
            return FINISHING
        return self.status

    @property
    def spec(self) -> GenerationSpec:
        return GenerationSpec(
            prompt=self.prompt,
            first_frame=self.first_frame or None,
            last_frame=self.last_frame or None,
            aspect_ratio=self.aspect_ratio,
            resolution=self.resolution,
            duration=self.duration,
            generate_audio=self.generate_audio,
            camera_fixed=self.camera_fixed,
            seed=self.seed,
            watermark=self.watermark,
            model=self.model,
            service_tier=self.service_tier,
            reference_images=tuple(self.reference_images or ()),
        )

    def timeline(self) -> list[GenerationEvent]:
        """Everything that happened to the job, oldest first: its creation, then the events.

        The creation is not stored as an event: every fact of it is on the row, so the create
        (the API's hottest path) does not write a second row to repeat them.
        """
        return [self.creation_event(), *self.events.all()]

    def creation_event(self) -> GenerationEvent:
        """The timeline's first entry, drawn from the row (unsaved)."""
        by = self.created_by_key or self.created_by_user or "system"
        return GenerationEvent(
            generation=self,
            at=self.created_at,
            kind=GenerationEvent.Kind.STATE,
            message=f"Created by {by}, asking for {self.requested_provider}: {self.quoted} credits held",
        )


class GenerationChange(models.Model):
    """The outbox: one row per change of stage, written in the transition's transaction.

    generations.followups claims unprocessed rows and does what follows a change (copy the
    result, write customer webhook deliveries). `claimed_until` is a worker's lease, and the
    time of the next attempt when a follow-up asked to be retried: a row whose lease ran out
    unprocessed (its worker died) is claimed again. `handed_at` is when followups.sweep() last
    enqueued the row for a worker that has not claimed it yet, so a row waiting in a long queue
    is not enqueued again on every sweep.
    """

    generation = models.ForeignKey(Generation, models.CASCADE, related_name="changes")
    from_stage = models.CharField(max_length=20)
    to_stage = models.CharField(max_length=20)
    source = models.CharField(max_length=20, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    claimed_until = models.DateTimeField(null=True, blank=True)
    handed_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # Used by followups.claim() and sweep(): only unprocessed changes are scanned.
            models.Index(
                fields=["created_at"],
                name="generations_change_open",
                condition=Q(processed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.generation_id}: {self.from_stage} → {self.to_stage}"


class GenerationEvent(models.Model):
    """The timeline of one generation: state changes, provider calls, callbacks, staff actions."""

    class Kind(models.TextChoices):
        STATE = "state", "State change"
        PROVIDER_CALL = "provider_call", "Provider call"
        CALLBACK = "callback", "Callback received"
        BILLING = "billing", "Billing"
        NOTE = "note", "Note"

    generation = models.ForeignKey(Generation, models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    message = models.CharField(max_length=500)
    data = models.JSONField(null=True, blank=True)  # redacted: never API keys

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.generation_id} {self.kind}: {self.message}"

    @classmethod
    def record(cls, generation: Generation, kind: str, message: str, data: dict | None = None):
        """Append one timeline entry; `data` is redacted first, so callers may pass raw payloads.

        The callback token is blanked too: provider bodies echo the callback URL, and the token
        is what lets a caller post to this job's callback URL.
        """
        if data:
            text = json.dumps(redact(data), default=str).replace(generation.callback_token, "[token]")
            data = json.loads(text)
        return cls.objects.create(generation=generation, kind=kind, message=message[:500], data=data or None)


# Keys whose values never reach the timeline: the admin and the tenant both read it.
_SECRET_KEYS = re.compile(r"authorization|api[_-]?key|secret|token|password|signature|bearer", re.IGNORECASE)
_SECRET_QUERY = re.compile(r"((?:api[_-]?key|key|token|secret|signature)=)[^&]*", re.IGNORECASE)
_LONG_TEXT = 300  # data: URIs of images would bloat every event


def redact(value):
    """A copy of `value` without credentials, with very long strings (base64 images) shortened."""
    if isinstance(value, dict):
        return {k: "[redacted]" if _SECRET_KEYS.search(str(k)) else redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if isinstance(value, str):
        value = _SECRET_QUERY.sub(r"\1[redacted]", value)
        if len(value) > _LONG_TEXT:
            return f"{value[:80]}… ({len(value)} characters)"
    return value


def new_file_id() -> str:
    return new_id("file")


class UploadedImage(models.Model):
    """An image we keep for a tenant: an upload (POST /api/v1/files, the portal) or our copy of
    a data: URI for a provider that takes URLs only. generations.files hosts it for providers."""

    class Source(models.TextChoices):
        UPLOAD = "upload", "Uploaded"
        COPY = "copy", "Hosted copy for a provider"

    id = models.CharField(primary_key=True, max_length=40, default=new_file_id, editable=False)
    tenant = models.ForeignKey(Tenant, models.CASCADE, related_name="uploaded_images")
    file = models.FileField(upload_to="files/%Y/%m/", max_length=300)
    kind = models.CharField(
        max_length=10, help_text="Image type: jpeg, png, webp, bmp, tiff, gif, heic, heif."
    )
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField(help_text="Bytes.")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.UPLOAD)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(help_text="Deleted (and its hosted URLs dead) after this.")

    objects = models.Manager.from_queryset(TenantScopedQuerySet)()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["expires_at"], name="generations_file_expiry")]

    def __str__(self) -> str:
        return self.id
