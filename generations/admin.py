"""The staff admin for generations: a list that stays fast at a million rows, a read-only detail
page with the timeline and the redacted provider payload, the moderation actions, and the review
queue (the same admin at /admin/generations/generation/review/, awaiting_review only, oldest first),
which says why each job was held (the matched terms marked in the prompt) and shows its input
frames; the detail page plays our copy of the video so a moderator can watch before hiding it.

Staff never edit a generation's fields: every change goes through generations.staff_actions,
which moves state through the lifecycle services and writes the audit log.
"""

from __future__ import annotations

import json
import re

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.timesince import timesince

from accounts.admin_tools import CappedCountPaginator, TenantFilter
from generations import downloads, files, moderation, staff_actions
from generations.api.images import ImageProblem, decode_data_uri
from generations.models import TERMINAL, Generation, GenerationEvent, Status, redact
from seedance_site.errors import DomainError

# Actions run synchronously in the request, and some call a provider: keep a click bounded.
MAX_ROWS_PER_ACTION = 100
GENERATION_ID = re.compile(r"^gen_[0-9a-z]{26}$")


def _pretty_json(value) -> str:
    if value in (None, "", {}, []):
        return "—"
    return format_html('<pre style="white-space: pre-wrap; margin: 0">{}</pre>', json.dumps(value, indent=2))


# --- Filters ---------------------------------------------------------------------------------------


class ProviderFilter(admin.SimpleListFilter):
    """Choices from settings, not from `SELECT DISTINCT provider` over every row."""

    title = "provider"
    parameter_name = "provider"

    def lookups(self, request, model_admin):
        return [(slug, slug) for slug in settings.PROVIDER_ORDER]

    def queryset(self, request, queryset):
        return queryset.filter(provider=self.value()) if self.value() else queryset


class HiddenFilter(admin.SimpleListFilter):
    title = "result hidden"
    parameter_name = "hidden"

    def lookups(self, request, model_admin):
        return [("yes", "Hidden"), ("no", "Visible")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(hidden_at__isnull=self.value() == "no")
        return queryset


# --- Actions ---------------------------------------------------------------------------------------


class ReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=1000,
        help_text="The tenant sees this.",
    )

    def __init__(self, *args, required: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = required


def _run(modeladmin, request, queryset, label: str, act) -> HttpResponseRedirect | None:
    """Apply `act(generation) -> Outcome` to each selected row and report what happened."""
    rows = list(queryset.order_by("pk")[: MAX_ROWS_PER_ACTION + 1])
    if len(rows) > MAX_ROWS_PER_ACTION:
        modeladmin.message_user(
            request,
            f"{label}: select at most {MAX_ROWS_PER_ACTION} generations at a time (filter the list first).",
            messages.ERROR,
        )
        return None
    if not rows:
        # In the review queue another moderator may have decided first: the job left the list.
        modeladmin.message_user(
            request,
            f"{label}: unchanged; the selected generations are no longer in this list.",
            messages.WARNING,
        )
        return _back(request)
    done, skipped = [], []
    for generation in rows:
        try:
            outcome = act(generation)
        except DomainError as error:
            skipped.append(f"{generation.pk}: {error.message}")
            continue
        (done if outcome.changed else skipped).append(f"{generation.pk}: {outcome.detail}")
    if done:
        modeladmin.message_user(request, f"{label}: {len(done)} done. " + "; ".join(done), messages.SUCCESS)
    if skipped:
        level = messages.INFO if done else messages.WARNING
        modeladmin.message_user(request, f"{label}: {len(skipped)} unchanged. " + "; ".join(skipped), level)
    return _back(request)


def _back(request) -> HttpResponseRedirect | None:
    """Return to the detail page when the action was started there (its `next` field)."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return HttpResponseRedirect(target)
    return None  # the admin redirects back to the change list


def _ask_reason(modeladmin, request, queryset, *, action: str, title: str, required: bool):
    """The intermediate page of reject / hide: the reason, then the same action again."""
    form = ReasonForm(request.POST if "apply" in request.POST else None, required=required)
    if form.is_valid():
        return form.cleaned_data["reason"]
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "form": form,
        "generations": queryset.select_related("tenant")[:MAX_ROWS_PER_ACTION],
        "action": action,
        "next": request.POST.get("next", ""),
        "opts": modeladmin.model._meta,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        "select_across": request.POST.get("select_across", "0"),
    }
    return TemplateResponse(request, "admin/generations/generation/reason.html", context)


@admin.action(description="Cancel and refund", permissions=["change"])
def cancel_and_refund(modeladmin, request, queryset):
    return _run(
        modeladmin,
        request,
        queryset,
        "Cancel and refund",
        lambda g: staff_actions.cancel_and_refund(g, request.user, request),
    )


@admin.action(description="Re-poll the provider now", permissions=["change"])
def repoll(modeladmin, request, queryset):
    return _run(
        modeladmin, request, queryset, "Re-poll", lambda g: staff_actions.repoll(g, request.user, request)
    )


@admin.action(description="Retry submission now", permissions=["change"])
def retry_submission(modeladmin, request, queryset):
    return _run(
        modeladmin,
        request,
        queryset,
        "Retry submission",
        lambda g: staff_actions.retry_submission(g, request.user, request),
    )


@admin.action(description="Hide result (removed by moderation)", permissions=["change"])
def hide_result(modeladmin, request, queryset):
    reason = _ask_reason(
        modeladmin, request, queryset, action="hide_result", title="Hide results", required=False
    )
    if not isinstance(reason, str):
        return reason
    return _run(
        modeladmin,
        request,
        queryset,
        "Hide result",
        lambda g: staff_actions.hide_result(g, request.user, reason, request),
    )


@admin.action(description="Flag", permissions=["change"])
def flag(modeladmin, request, queryset):
    return _run(
        modeladmin,
        request,
        queryset,
        "Flag",
        lambda g: staff_actions.set_flagged(g, request.user, True, request),
    )


@admin.action(description="Unflag", permissions=["change"])
def unflag(modeladmin, request, queryset):
    return _run(
        modeladmin,
        request,
        queryset,
        "Unflag",
        lambda g: staff_actions.set_flagged(g, request.user, False, request),
    )


@admin.action(description="Approve (send to the provider)", permissions=["change"])
def approve(modeladmin, request, queryset):
    return _run(
        modeladmin, request, queryset, "Approve", lambda g: staff_actions.approve(g, request.user, request)
    )


@admin.action(description="Reject (release credits, tell the tenant why)", permissions=["change"])
def reject(modeladmin, request, queryset):
    reason = _ask_reason(
        modeladmin, request, queryset, action="reject", title="Reject generations", required=True
    )
    if not isinstance(reason, str):
        return reason
    return _run(
        modeladmin,
        request,
        queryset,
        "Reject",
        lambda g: staff_actions.reject(g, request.user, reason, request),
    )


ALL_ACTIONS = [approve, reject, cancel_and_refund, repoll, retry_submission, hide_result, flag, unflag]
REVIEW_ACTIONS = [approve, reject, flag, unflag]


def actions_for(generation: Generation) -> list[tuple[str, str]]:
    """(action name, button label) that make sense for this job now, for the detail page."""
    status = generation.status
    names = []
    if status == Status.AWAITING_REVIEW:
        names += ["approve", "reject"]
    # Unfinished: cancel and release the hold. Succeeded and charged: refund the charge.
    if status not in TERMINAL or (status == Status.SUCCEEDED and generation.charged):
        names.append("cancel_and_refund")
    if status in (Status.QUEUED, Status.RUNNING) and generation.provider_task_id:
        names.append("repoll")
    if status == Status.PENDING and not generation.provider_task_id and not generation.submission_started_at:
        names.append("retry_submission")
    if generation.hidden_at is None:
        names.append("hide_result")
    names.append("unflag" if generation.flagged else "flag")
    labels = {a.__name__: a.short_description for a in ALL_ACTIONS}
    if status == Status.SUCCEEDED:
        labels["cancel_and_refund"] = "Refund"
    return [(name, labels[name]) for name in names]


# --- The admin -------------------------------------------------------------------------------------


class GenerationEventInline(admin.TabularInline):
    model = GenerationEvent
    fields = ["at", "kind", "message", "data_pretty"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "Timeline"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="data (redacted)")
    def data_pretty(self, event):
        return _pretty_json(event.data)


@admin.register(Generation)
class GenerationAdmin(admin.ModelAdmin):
    list_display = ["id", "tenant", "status", "provider", "cost", "age", "flagged", "hidden", "short_prompt"]
    list_select_related = ["tenant"]
    list_filter = [
        "status",
        ProviderFilter,
        TenantFilter,
        "flagged",
        HiddenFilter,
        ("created_at", admin.DateFieldListFilter),
    ]
    search_fields = ["prompt"]  # the real search is get_search_results()
    search_help_text = "A generation id (gen_…), a provider task id, or words from the prompt."
    # The ids are time-sortable, so "-id" is newest first through the primary key index.
    ordering = ["-id"]
    sortable_by = ["id", "age"]
    list_per_page = 50
    paginator = CappedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    actions = ALL_ACTIONS
    inlines = [GenerationEventInline]
    readonly_fields = [
        "cost",
        "age",
        "held_for",
        "prompt_marked",
        "frames",
        "first_frame_short",
        "last_frame_short",
        "video_player",
        "video_source",
        "payload_redacted",
        "staff_actions_done",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "id",
                    "tenant",
                    "status",
                    ("requested_provider", "provider"),
                    "provider_task_id",
                    ("created_by_user", "created_by_key"),
                ]
            },
        ),
        ("Money (credits)", {"fields": ["cost", ("quoted", "held", "charged"), "hold_state"]}),
        (
            "Moderation",
            {"fields": ["held_for", "flagged", "hidden_at", "moderation_note", "staff_actions_done"]},
        ),
        (
            "Request",
            {
                "fields": [
                    "prompt_marked",
                    ("aspect_ratio", "resolution", "duration"),
                    ("generate_audio", "camera_fixed", "watermark", "seed"),
                    "frames",
                    "first_frame_short",
                    "last_frame_short",
                ]
            },
        ),
        (
            "Result",
            {
                "fields": [
                    "video_player",
                    "video_file",
                    "video_source",
                    "actual_duration",
                    ("error_code", "error_message"),
                ]
            },
        ),
        (
            "Timing",
            {
                "fields": [
                    ("created_at", "age"),
                    ("submitted_at", "started_at", "finished_at"),
                    ("deadline", "next_poll_at"),
                    ("submit_attempts", "poll_count", "submission_started_at"),
                ]
            },
        ),
        ("Last provider payload (keys redacted)", {"fields": ["payload_redacted"]}),
    ]

    # Staff see and act; they never edit, add or delete a generation directly.
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # The change permission (no object) is what admin actions require; for one object
        # False makes the detail page read-only, so a stale form can never overwrite a job.
        return obj is None and super().has_change_permission(request)

    # --- the review queue ---

    def get_urls(self):
        review = path(
            "review/",
            self.admin_site.admin_view(self.review_queue_view),
            name="generations_generation_review",
        )
        video = path(
            "<path:object_id>/video/",
            self.admin_site.admin_view(self.video_view),
            name="generations_generation_video",
        )
        frame = path(
            "<path:object_id>/frame/<str:which>/",
            self.admin_site.admin_view(self.frame_view),
            name="generations_generation_frame",
        )
        return [review, video, frame, *super().get_urls()]

    # --- our copy of the video and the input frames, for staff (hidden results too) ---

    def _viewable(self, request, object_id) -> Generation:
        generation = self.get_object(request, object_id)
        if generation is None or not self.has_view_permission(request, generation):
            raise Http404("No such generation.")
        return generation

    def video_view(self, request, object_id):
        generation = self._viewable(request, object_id)
        if not generation.video_file:
            raise Http404("No copy of the video (not finished, not copied, or deleted after retention).")
        file = generation.video_file
        extension = file.name.rsplit(".", 1)[-1]
        content_type = VIDEO_TYPES.get(extension, "application/octet-stream")
        return downloads.respond(file, content_type, f"{generation.pk}.{extension}", as_attachment=False)

    def frame_view(self, request, object_id, which: str):
        """An input frame as an image: decoded from its data: URI, or the hosted copy we serve."""
        generation = self._viewable(request, object_id)
        value = {"first": generation.first_frame, "last": generation.last_frame}.get(which) or ""
        data, kind = _frame_bytes(value)
        if data is None:
            raise Http404("No image of ours for this frame.")
        response = HttpResponse(data, content_type=files.content_type(kind))
        response["Cache-Control"] = "private, max-age=300"
        response["X-Content-Type-Options"] = "nosniff"
        return response

    def review_queue_view(self, request):
        request.review_queue = True
        return self.changelist_view(request, extra_context={"title": "Review queue (oldest first)"})

    @staticmethod
    def in_review_queue(request) -> bool:
        return getattr(request, "review_queue", False)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if self.in_review_queue(request):
            queryset = queryset.filter(status=Status.AWAITING_REVIEW)
        return queryset

    def get_ordering(self, request):
        return ["id"] if self.in_review_queue(request) else ["-id"]

    def get_list_display(self, request):
        if self.in_review_queue(request):
            return ["id", "tenant", "review_prompt", "frames", "cost", "age", "flagged"]
        return super().get_list_display(request)

    def get_list_filter(self, request):
        if self.in_review_queue(request):
            return [ProviderFilter, TenantFilter, "flagged"]
        return super().get_list_filter(request)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if self.in_review_queue(request):
            keep = {a.__name__ for a in REVIEW_ACTIONS}
            actions = {name: value for name, value in actions.items() if name in keep}
        return actions

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "review_queue": self.in_review_queue(request),
            "review_queue_url": reverse("admin:generations_generation_review"),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context=extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        generation = self.get_object(request, object_id)
        extra_context = dict(extra_context or {})
        if generation is not None and super().has_change_permission(request):
            extra_context["staff_actions"] = actions_for(generation)
            extra_context["changelist_url"] = reverse("admin:generations_generation_changelist")
        return super().change_view(request, object_id, form_url, extra_context=extra_context)

    # --- search ---

    def get_search_results(self, request, queryset, search_term):
        """An id is an exact primary-key lookup; a provider task id is an exact (indexed) lookup;
        anything else searches the prompts."""
        term = search_term.strip()
        if not term:
            return queryset, False
        if GENERATION_ID.match(term):
            return queryset.filter(pk=term), False
        by_task = queryset.filter(provider_task_id=term)
        if by_task.exists():
            return by_task, False
        return queryset.search_prompt(term), False

    # --- columns ---

    @admin.display(description="cost")
    def cost(self, generation):
        if generation.charged:
            return f"{generation.charged} charged"
        if generation.held:
            return f"{generation.held} held"
        return f"{generation.quoted} quoted"

    @admin.display(description="age", ordering="id")
    def age(self, generation):
        return timesince(generation.created_at)

    @admin.display(description="hidden", boolean=True)
    def hidden(self, generation):
        return generation.hidden_at is not None

    @admin.display(description="prompt")
    def short_prompt(self, generation):
        prompt = generation.prompt
        return prompt if len(prompt) <= 60 else f"{prompt[:59]}…"

    @admin.display(description="prompt (why held)")
    def review_prompt(self, generation):
        prompt = generation.prompt
        prompt = prompt if len(prompt) <= 300 else f"{prompt[:299]}…"
        held = moderation.held_for(generation)
        return format_html(
            '{}<br><small class="held-for">Held: {}</small>', moderation.highlight(prompt, held.terms), held
        )

    @admin.display(description="why held")
    def held_for(self, generation):
        if generation.status != Status.AWAITING_REVIEW:
            return "—"
        return str(moderation.held_for(generation))

    @admin.display(description="prompt")
    def prompt_marked(self, generation):
        held = moderation.held_for(generation)
        return moderation.highlight(generation.prompt, held.terms)

    @admin.display(description="input frames")
    def frames(self, generation):
        shown = []
        for which, value in (("first", generation.first_frame), ("last", generation.last_frame)):
            if not value:
                continue
            label = f"{which.capitalize()} frame of {generation.pk}"
            if _frame_is_ours(value):
                url = reverse("admin:generations_generation_frame", args=[generation.pk, which])
                shown.append(
                    format_html(
                        '<a href="{}"><img src="{}" alt="{}" loading="lazy" class="input-frame"></a>',
                        url,
                        url,
                        label,
                    )
                )
            else:
                # Another site's image: our Content Security Policy does not load it inline.
                shown.append(
                    format_html('<a href="{}" rel="noopener noreferrer">{} (external)</a>', value, label)
                )
        return format_html_join(" ", "{}", ((item,) for item in shown)) if shown else "—"

    @admin.display(description="video (our copy)")
    def video_player(self, generation):
        if not generation.video_file:
            return "—"
        url = reverse("admin:generations_generation_video", args=[generation.pk])
        return format_html(
            '<video controls preload="metadata" class="admin-video" src="{}" aria-label="Video of {}">'
            '<a href="{}">Open the video</a></video>',
            url,
            generation.pk,
            url,
        )

    @admin.display(description="first frame")
    def first_frame_short(self, generation):
        return _short(generation.first_frame)

    @admin.display(description="last frame")
    def last_frame_short(self, generation):
        return _short(generation.last_frame)

    @admin.display(description="provider's video URL")
    def video_source(self, generation):
        return redact(generation.video_url) or "—"

    @admin.display(description="raw payload")
    def payload_redacted(self, generation):
        if not generation.provider_payload:
            return "—"
        # Provider bodies echo our callback URL, whose token would let anyone post updates.
        text = json.dumps(redact(generation.provider_payload)).replace(generation.callback_token, "[token]")
        return _pretty_json(json.loads(text))

    @admin.display(description="staff actions")
    def staff_actions_done(self, generation):
        events = staff_actions.audit_trail(generation)[:50]
        if not events:
            return "—"
        return format_html(
            "<ul style='margin: 0; padding-left: 1em'>{}</ul>",
            format_html_join(
                "",
                "<li>{} · {} · {}{}</li>",
                (
                    (
                        f"{e.at:%Y-%m-%d %H:%M:%S}",
                        e.actor_email or "system",
                        e.action,
                        f" · {e.note}" if e.note else "",
                    )
                    for e in events
                ),
            ),
        )


VIDEO_TYPES = {"mp4": "video/mp4", "mov": "video/quicktime", "webm": "video/webm"}


def _frame_is_ours(value: str) -> bool:
    return value.startswith("data:") or files.is_file_reference(value)


def _frame_bytes(value: str) -> tuple[bytes | None, str]:
    """The bytes and type of a frame we hold (a data: URI or our hosted copy), else (None, "")."""
    if value.startswith("data:"):
        try:
            return decode_data_uri(value)
        except ImageProblem:
            return None, ""
    if files.is_file_reference(value):
        image = files.hosted_image(value.rstrip("/").rsplit("/", 1)[-1])
        if image is not None:
            return files.read(image), image.kind
    return None, ""


def _short(value: str) -> str:
    if not value:
        return "—"
    return value if len(value) <= 120 else f"{value[:100]}… ({len(value)} characters)"
