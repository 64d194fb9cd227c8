"""Results: copying provider files into our storage, serving them to the tenant, retention.

Provider result URLs expire (1 h at JieKou, 24 h at Ark), and a customer who sees `succeeded`
downloads at once, so a generation the provider finished is `finishing` (status running,
`mirror_state` copying) until `mirror()` has copied the video into Django's default storage
(local media, or S3 through django-storages when configured). generations.followups runs it
for each change into `finishing`. The copy is made:

- through the outbound guard (generations.outbound), so a provider answer pointing at an
  internal address cannot make us fetch it;
- streamed into storage in CHUNK_BYTES pieces (a multipart upload on S3), never held in memory
  whole (generations.result_storage);
- checked: HTTP 200, a declared content type we accept, magic bytes that agree with it, and
  at most RESULT_MAX_BYTES (RESULT_FRAME_MAX_BYTES for the frame), by Content-Length when sent
  and by counting either way;
- retried on 5xx/429/timeouts/connection errors after RESULT_MIRROR_RETRY_SCHEDULE seconds.

Copied: lifecycle.result_copied() makes it `succeeded` and captures the hold. Never copyable
(403/404/410, a refused file, retries used up): lifecycle.result_lost() makes it `failed`
(`result_unavailable`) and releases the hold. The state is on the row (`mirror_state`,
`files_purged_at`); the timeline only tells the story, and the provider URL stays off it
(tenants read it; the URL is for staff, on the Generation row). Our copy is served to the
tenant's members only: `open_result()` is the one check, used by the API (bearer key) and the
portal (session) download views.
"""

from __future__ import annotations

import logging
import mimetypes
from datetime import timedelta

import httpx
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from generations import lifecycle, outbound, result_storage
from generations.models import Generation, GenerationEvent, Mirror, Status
from ops.metrics import MIRROR_BYTES, MIRROR_FAILURES
from seedance_site.errors import DomainError

log = logging.getLogger("generations.results")

CHUNK_BYTES = 64 * 1024
# "poster" is served only (generations.posters makes it): our still, else the last frame.
KINDS = ("video", "last_frame", "poster")
FIELDS = {"video": "video_file", "last_frame": "last_frame_file", "poster": "poster_file"}
SUFFIXES = {"video": "", "last_frame": "-last-frame", "poster": "-poster"}
SOURCE_FIELDS = {"video": "video_url", "last_frame": "last_frame_url"}
# Declared content types we accept, each with the extension it is stored under.
CONTENT_TYPES = {
    "video": {"video/mp4": "mp4", "video/quicktime": "mov", "video/webm": "webm"},
    "last_frame": {"image/png": "png", "image/jpeg": "jpg", "image/jpg": "jpg"},
}
# Object stores often label everything this way; then the magic bytes alone decide.
GENERIC_TYPES = frozenset({"application/octet-stream", "binary/octet-stream"})
GONE_STATUSES = frozenset({403, 404, 410})


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
    """Stream one file from the provider into storage (generations.result_storage: a multipart
    upload on S3, the final file on disk) and point the generation at it. Returns the stored
    name. Nothing is kept of a refused or broken download."""
    field = Generation._meta.get_field(FIELDS[kind])

    def name_for(head: bytes) -> str:
        return field.generate_filename(generation, f"{generation.pk}{SUFFIXES[kind]}.{sniff(head) or 'bin'}")

    writer = result_storage.writer(field.storage, name_for)
    try:
        download(getattr(generation, SOURCE_FIELDS[kind]), kind, writer)
        name = writer.commit()
    except BaseException as exc:
        writer.abort()
        outcome = {_Gone: "gone", _Refused: "refused", _Transient: "transient"}.get(type(exc), "error")
        MIRROR_FAILURES.labels(kind, outcome).inc()
        log.warning("mirror %s %s: %s", kind, outcome, exc)
        raise
    MIRROR_BYTES.labels(kind).inc(writer.size)
    log.info("mirror %s stored: %d bytes as %s", kind, writer.size, name)
    # Conditional: if a concurrent run stored the file first, keep theirs and drop ours.
    if not Generation.objects.filter(pk=generation.pk, **{FIELDS[kind]: ""}).update(**{FIELDS[kind]: name}):
        field.storage.delete(name)
    return name


def _record(generation: Generation, message: str) -> None:
    GenerationEvent.record(generation, GenerationEvent.Kind.NOTE, message)


def mirror(generation_id: str, attempt: int = 1) -> timedelta | None:
    """Copy a finishing generation's video (and last frame) into our storage, then let the
    lifecycle finish it: succeeded once the video is copied, failed when it never can be.

    Returns the wait before another attempt (a transient failure with retries left), else None.
    The last frame is best effort: one try per attempt, and never holds the video back. Never
    raises for a bad or dead provider URL; outcomes go on the timeline.
    """
    generation = Generation.objects.filter(pk=generation_id).first()
    if generation is None or generation.mirror_state != Mirror.COPYING:
        return None  # copied, failed, or cancelled meanwhile
    if not generation.last_frame_file and generation.last_frame_url:
        try:
            _store(generation, "last_frame")
        except (_Gone, _Refused, _Transient) as exc:
            _record(generation, f"The provider's last frame was not copied: {exc}.")
    if not generation.video_file:
        try:
            _store(generation, "video")
        except (_Gone, _Refused) as exc:
            _lost(generation, str(exc))
            return None
        except _Transient as exc:
            delay = _retry_delay(attempt)
            if delay is None:
                _lost(generation, f"gave up after {attempt} attempts ({exc})")
                return None
            _record(
                generation,
                f"Copying the video failed ({exc}); retrying in {int(delay.total_seconds())} s.",
            )
            return delay
        _record(generation, "The video was copied to our storage.")
    if generation.status == Status.SUCCEEDED:
        # Succeeded before results waited for the copy (generations 0009 marks such rows).
        Generation.objects.filter(pk=generation.pk).update(mirror_state=Mirror.COPIED)
        return None
    try:
        lifecycle.result_copied(generation.pk)
    except lifecycle.InvalidTransition:
        pass  # cancelled while copying: nothing is charged, the copy stays for staff
    return None


def _lost(generation: Generation, reason: str) -> None:
    if generation.status == Status.SUCCEEDED:
        Generation.objects.filter(pk=generation.pk).update(mirror_state=Mirror.FAILED)
        _record(generation, f"The provider's video could not be copied: {reason}.")
        return
    try:
        lifecycle.result_lost(generation.pk, reason)
    except lifecycle.InvalidTransition:
        pass


def _retry_delay(attempt: int) -> timedelta | None:
    schedule_ = settings.RESULT_MIRROR_RETRY_SCHEDULE
    return timedelta(seconds=schedule_[attempt - 1]) if attempt <= len(schedule_) else None


def purge_expired_results() -> str:
    """Scheduled daily: delete mirrored files older than their tenant's retention_days."""
    now = timezone.now()
    deleted = 0
    expired = Generation.objects.filter(tenant__retention_days__isnull=False).filter(
        ~Q(video_file="") | ~Q(last_frame_file="") | ~Q(poster_file="")
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
        Generation.objects.filter(pk=generation.pk).update(
            video_file="", last_frame_file="", poster_file="", files_purged_at=now
        )
        _record(
            generation,
            f"Result files deleted: the team keeps results for {generation.tenant.retention_days} days.",
        )
    return f"deleted {deleted} file(s)"


# --- Serving -----------------------------------------------------------------------------------


class ResultNotFound(DomainError):
    code = "not_found"
    http_status = 404


class ResultNotReady(DomainError):
    code = "result_not_ready"
    http_status = 409


def served_file(generation: Generation, kind: str):
    """The file a download of `kind` serves: the kind's own field, except the poster, which is
    our still or else the provider's last frame (Generation.poster)."""
    return generation.poster if kind == "poster" else getattr(generation, FIELDS[kind])


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
    file = served_file(generation, kind)
    if not file:
        label = kind.replace("_", " ")
        if generation.files_purged_at is not None:
            raise ResultNotFound(f"The {label} was deleted after the team's retention period.")
        if generation.mirror_state == Mirror.COPYING:
            raise ResultNotReady(f"The {label} is still being copied; try again in a few seconds.")
        if generation.status != Status.SUCCEEDED:
            raise ResultNotFound(f"This generation has no {label} (status: {generation.status}).")
        raise ResultNotFound(f"The {label} could not be copied from the provider; see the timeline.")
    extension = file.name.rsplit(".", 1)[-1]
    content_type = mimetypes.guess_type(f"x.{extension}")[0] or "application/octet-stream"
    return file, content_type, f"{generation.pk}{SUFFIXES[kind]}.{extension}"
