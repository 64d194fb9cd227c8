"""Results: mirroring provider files into our storage, serving them to the tenant, retention.

Provider result URLs expire (1 h at JieKou, 24 h at Ark), so on success `mirror()` copies the
video and the last frame into Django's default storage (local media, or S3 through
django-storages when configured):

- through the outbound guard (generations.outbound), so a provider answer pointing at an
  internal address cannot make us fetch it;
- streamed to a temporary file in CHUNK_BYTES pieces, never held in memory whole;
- checked: HTTP 200, a declared content type we accept, magic bytes that agree with it, and
  at most RESULT_MAX_BYTES (RESULT_FRAME_MAX_BYTES for the frame), by Content-Length when sent
  and by counting either way;
- retried on 5xx/429/timeouts/connection errors after RESULT_MIRROR_RETRY_SCHEDULE seconds;
  403/404/410 mean the URL is gone, which is recorded on the generation's timeline, as is any
  refusal. A failure is never an exception out of the task.

Every outcome is a GenerationEvent with data {"mirror": outcome, "kind": kind}; the provider URL
itself stays off the timeline (tenants read it; the URL is for staff, on the Generation row).
Our copy is served to the tenant's members only: `open_result()` is the one check, used by the
API (bearer key) and the portal (session) download views.
"""

from __future__ import annotations

import logging
import mimetypes
import tempfile
from datetime import timedelta

import httpx
from django.conf import settings
from django.core.files import File
from django.db.models import Q
from django.utils import timezone
from django_q.tasks import async_task, schedule

from generations import outbound
from generations.models import Generation, GenerationEvent, Status
from seedance_site.errors import DomainError

log = logging.getLogger("generations.results")

CHUNK_BYTES = 64 * 1024
KINDS = ("video", "last_frame")
FIELDS = {"video": "video_file", "last_frame": "last_frame_file"}
SOURCE_FIELDS = {"video": "video_url", "last_frame": "last_frame_url"}
# Declared content types we accept, each with the extension it is stored under.
CONTENT_TYPES = {
    "video": {"video/mp4": "mp4", "video/quicktime": "mov", "video/webm": "webm"},
    "last_frame": {"image/png": "png", "image/jpeg": "jpg", "image/jpg": "jpg"},
}
# Object stores often label everything this way; then the magic bytes alone decide.
GENERIC_TYPES = frozenset({"application/octet-stream", "binary/octet-stream"})
GONE_STATUSES = frozenset({403, 404, 410})

# Outcomes recorded on the timeline.
STORED, RETRYING, GONE, REFUSED, GAVE_UP = "stored", "retrying", "gone", "refused", "gave_up"
FINAL_FAILURES = (GONE, REFUSED, GAVE_UP)


class _Refused(Exception):
    """Permanent: wrong type, too large, forbidden destination."""


class _Gone(Exception):
    """The provider URL no longer serves the file."""


class _Transient(Exception):
    """Worth another try later."""


def sniff(head: bytes) -> str | None:
    """The extension the first bytes of a file say it is, or None."""
    if head[4:8] == b"ftyp":
        return "mov" if head[8:10] == b"qt" else "mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    return None


def _family(extension: str) -> str:
    # QuickTime and MP4 are both ISO base media files; servers label them loosely.
    return "mp4" if extension == "mov" else extension


def _max_bytes(kind: str) -> int:
    return settings.RESULT_MAX_BYTES if kind == "video" else settings.RESULT_FRAME_MAX_BYTES


def download(url: str, kind: str, destination) -> str:
    """Stream `url` into the open binary file `destination`; return the file's extension.

    Raises _Refused, _Gone or _Transient.
    """
    limit = _max_bytes(kind)
    accepted = CONTENT_TYPES[kind]
    try:
        with outbound.stream("GET", url, timeout=settings.RESULT_DOWNLOAD_TIMEOUT_SECONDS) as response:
            status = response.status_code
            if status in GONE_STATUSES:
                raise _Gone(f"the provider URL answered HTTP {status}")
            if status == 429 or status >= 500:
                raise _Transient(f"the provider URL answered HTTP {status}")
            if status != 200:
                raise _Refused(f"the provider URL answered HTTP {status}")
            declared = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if declared not in accepted and declared not in GENERIC_TYPES:
                raise _Refused(
                    f"content type {declared or '(none)'} is not one of {', '.join(sorted(accepted))}"
                )
            length = response.headers.get("Content-Length", "")
            if length.isdigit() and int(length) > limit:
                raise _Refused(f"the file is {int(length)} bytes, over the {limit}-byte limit")
            total, head = 0, b""
            for chunk in response.iter_bytes(CHUNK_BYTES):
                total += len(chunk)
                if total > limit:
                    raise _Refused(f"the file is over the {limit}-byte limit")
                if len(head) < 16:
                    head += chunk[: 16 - len(head)]
                destination.write(chunk)
    except outbound.OutboundRefused as exc:
        raise _Refused(exc.message) from exc
    except outbound.OutboundError as exc:
        raise (_Transient if exc.retryable else _Refused)(exc.message) from exc
    except httpx.HTTPError as exc:
        raise _Transient(f"{type(exc).__name__}: {exc}") from exc
    extension = sniff(head)
    if extension not in accepted.values():
        raise _Refused(f"the file's content is not a {'/'.join(sorted(set(accepted.values())))} file")
    if declared in accepted and _family(accepted[declared]) != _family(extension):
        raise _Refused(f"the file is {extension} but was served as {declared}")
    return extension


def _store(generation: Generation, kind: str) -> str:
    """Download one file into storage and point the generation at it. Returns the stored name."""
    field = Generation._meta.get_field(FIELDS[kind])
    with tempfile.TemporaryFile() as tmp:
        extension = download(getattr(generation, SOURCE_FIELDS[kind]), kind, tmp)
        tmp.seek(0)
        suffix = "" if kind == "video" else "-last-frame"
        name = field.generate_filename(generation, f"{generation.pk}{suffix}.{extension}")
        name = field.storage.save(name, File(tmp, name=name))
    # Conditional: if a concurrent run stored the file first, keep theirs and drop ours.
    if not Generation.objects.filter(pk=generation.pk, **{FIELDS[kind]: ""}).update(**{FIELDS[kind]: name}):
        field.storage.delete(name)
    return name


def _record(generation: Generation, kind: str, outcome: str, message: str, **data) -> None:
    GenerationEvent.record(
        generation, GenerationEvent.Kind.NOTE, message, {"mirror": outcome, "kind": kind, **data}
    )


def mirror(generation_id: str, attempt: int = 1) -> str:
    """django-q task: copy a succeeded generation's files into our storage. Never raises for a
    bad or dead provider URL; records the outcome on the timeline instead."""
    generation = Generation.objects.filter(pk=generation_id).first()
    if generation is None or generation.status != Status.SUCCEEDED:
        return "skipped"
    label = {"video": "video", "last_frame": "last frame"}
    retry = False
    outcomes = []
    for kind in KINDS:
        if getattr(generation, FIELDS[kind]) or not getattr(generation, SOURCE_FIELDS[kind]):
            continue
        if _gave_up(generation, kind):
            continue
        try:
            _store(generation, kind)
        except _Gone as exc:
            _record(generation, kind, GONE, f"The provider's {label[kind]} is no longer available ({exc}).")
            outcomes.append(GONE)
        except _Refused as exc:
            _record(generation, kind, REFUSED, f"The provider's {label[kind]} was refused: {exc}.")
            outcomes.append(REFUSED)
        except _Transient as exc:
            delay = _retry_delay(attempt)
            if delay is None:
                _record(
                    generation,
                    kind,
                    GAVE_UP,
                    f"Gave up copying the {label[kind]} after {attempt} attempts: {exc}.",
                )
                outcomes.append(GAVE_UP)
            else:
                _record(
                    generation,
                    kind,
                    RETRYING,
                    f"Copying the {label[kind]} failed ({exc}); retrying in {int(delay.total_seconds())} s.",
                    attempt=attempt,
                )
                retry = True
                outcomes.append(RETRYING)
        else:
            _record(generation, kind, STORED, f"The {label[kind]} was copied to our storage.")
            outcomes.append(STORED)
    if retry:
        schedule(
            "generations.results.mirror",
            generation_id,
            attempt + 1,
            name=f"mirror-{generation_id}-{attempt + 1}",
            schedule_type="O",
            repeats=-1,
            next_run=timezone.now() + _retry_delay(attempt),
        )
    _release_waiting_webhooks(generation)
    return ",".join(outcomes) or "nothing_to_do"


def _retry_delay(attempt: int) -> timedelta | None:
    schedule_ = settings.RESULT_MIRROR_RETRY_SCHEDULE
    return timedelta(seconds=schedule_[attempt - 1]) if attempt <= len(schedule_) else None


def _gave_up(generation: Generation, kind: str) -> bool:
    return generation.events.filter(
        kind=GenerationEvent.Kind.NOTE, data__mirror__in=FINAL_FAILURES, data__kind=kind
    ).exists()


def mirror_gave_up(generation: Generation) -> bool:
    """True when the video will not be mirrored (gone, refused, or out of retries)."""
    return _gave_up(generation, "video")


def _release_waiting_webhooks(generation: Generation) -> None:
    """generation.succeeded deliveries wait for the video; once it is settled, send them now."""
    generation.refresh_from_db(fields=["video_file"])
    if not generation.video_file and not mirror_gave_up(generation):
        return
    from generations.webhooks.models import WebhookDelivery
    from generations.webhooks.outbox import enqueue

    waiting = WebhookDelivery.objects.filter(generation=generation, state="pending", attempts=0)
    ids = list(waiting.values_list("pk", flat=True))
    waiting.update(next_attempt_at=timezone.now())
    enqueue(ids)


def sweep_unmirrored() -> str:
    """Scheduled: mirror succeeded generations whose mirror task never ran (lost enqueue).

    A generation with any mirror event on its timeline has been handled (retries are scheduled
    by the task itself), so only rows with none are picked, after a grace period.
    """
    now = timezone.now()
    candidates = (
        Generation.objects.filter(status=Status.SUCCEEDED, video_file="")
        .exclude(video_url="")
        .filter(finished_at__lt=now - timedelta(minutes=10), finished_at__gt=now - timedelta(days=7))
        .exclude(events__data__has_key="mirror")
        .values_list("pk", flat=True)[:200]
    )
    ids = list(candidates)
    for generation_id in ids:
        async_task("generations.results.mirror", generation_id, task_name=f"mirror-{generation_id}")
    return f"enqueued {len(ids)}"


def purge_expired_results() -> str:
    """Scheduled daily: delete mirrored files older than their tenant's retention_days."""
    now = timezone.now()
    deleted = 0
    expired = Generation.objects.filter(tenant__retention_days__isnull=False).filter(
        ~Q(video_file="") | ~Q(last_frame_file="")
    )
    for generation in expired.select_related("tenant").iterator():
        if generation.finished_at and generation.finished_at > now - timedelta(
            days=generation.tenant.retention_days
        ):
            continue
        for kind in KINDS:
            file = getattr(generation, FIELDS[kind])
            if file:
                file.storage.delete(file.name)
                deleted += 1
        Generation.objects.filter(pk=generation.pk).update(video_file="", last_frame_file="")
        GenerationEvent.record(
            generation,
            GenerationEvent.Kind.NOTE,
            f"Result files deleted: the team keeps results for {generation.tenant.retention_days} days.",
            {"retention": "deleted"},
        )
    return f"deleted {deleted} file(s)"


# --- Serving -----------------------------------------------------------------------------------


class ResultNotFound(DomainError):
    code = "not_found"
    http_status = 404


class ResultNotReady(DomainError):
    code = "result_not_ready"
    http_status = 409


def open_result(tenant, generation_id: str, kind: str):
    """The tenant's mirrored file of `kind`, as (FieldFile, content type, download name).

    The one access check for downloads: another tenant's id, an unknown kind and a hidden
    result are all ResultNotFound (404); a success still being copied is ResultNotReady (409).
    """
    generation = Generation.objects.for_tenant(tenant).filter(pk=generation_id).first()
    if generation is None or kind not in KINDS:
        raise ResultNotFound("Not found.")
    if generation.hidden_at is not None:
        raise ResultNotFound("This result was hidden by moderation.", details={"reason": "hidden"})
    file = getattr(generation, FIELDS[kind])
    if not file:
        label = kind.replace("_", " ")
        if generation.status != Status.SUCCEEDED:
            raise ResultNotFound(f"This generation has no {label} (status: {generation.status}).")
        if _gave_up(generation, kind) or not getattr(generation, SOURCE_FIELDS[kind]):
            raise ResultNotFound(f"The {label} could not be copied from the provider; see the timeline.")
        if (
            generation.tenant.retention_days is not None
            and generation.events.filter(data__retention="deleted").exists()
        ):
            raise ResultNotFound(f"The {label} was deleted after the team's retention period.")
        raise ResultNotReady(f"The {label} is still being copied; try again in a few seconds.")
    extension = file.name.rsplit(".", 1)[-1]
    content_type = mimetypes.guess_type(f"x.{extension}")[0] or "application/octet-stream"
    suffix = "" if kind == "video" else "-last-frame"
    return file, content_type, f"{generation.pk}{suffix}.{extension}"
