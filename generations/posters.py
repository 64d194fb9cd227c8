"""Poster frames: a still of every result video, for History's gallery and the player's poster.

A provider that returns an image of its own (Ark's last frame, copied by generations.results)
has its poster already (`Generation.poster`). For the others (JieKou, Kie, kkiai, the sandbox)
`make_poster()` decodes one frame of *our copy* of the video with PyAV (whose wheels bundle
FFmpeg's libraries), scales it to at most POSTER_WIDTH pixels wide and stores it as a JPEG next
to the video, in the same storage (the filesystem or S3), recorded on `Generation.poster_file`.
On S3 the video is read in byte ranges (`RangedObject`), never downloaded whole.

generations.followups runs it right after the copy has made the job `succeeded`, so a poster
never delays or fails a job: a video we cannot decode is logged and leaves no poster.
"""

from __future__ import annotations

import io
import logging
from fractions import Fraction

from django.core.files.base import ContentFile

from generations import result_storage
from generations.models import Generation, Status

log = logging.getLogger("generations.posters")

# A frame this far in: the first frame is often black or a fade-in.
POSTER_AT_SECONDS = Fraction(1)
POSTER_WIDTH = 640
JPEG_QUALITY = 80
# Decoding stops here however long the first second is (a bound on a hostile file's cost).
MAX_FRAMES_DECODED = 240


class PosterError(Exception):
    """The video has no frame we can decode."""


def make_poster(generation_id: str) -> str | None:
    """Store a poster for a succeeded generation that has a video and no still yet.

    Returns the stored name, or None when none was needed or the video could not be decoded
    (logged). Never raises for a bad video or a storage error: the job is finished already.
    """
    generation = Generation.objects.filter(pk=generation_id).first()
    if (
        generation is None
        or generation.status != Status.SUCCEEDED
        or not generation.video_file
        or generation.poster
    ):
        return None
    try:
        with _open(generation.video_file) as video:
            image = poster_jpeg(video)
        field = Generation._meta.get_field("poster_file")
        name = field.generate_filename(generation, f"{generation.pk}-poster.jpg")
        name = field.storage.save(name, ContentFile(image))
    except Exception as exc:  # noqa: BLE001 - a poster is a nicety: it never fails the follow-up
        log.warning("poster for %s not made: %s: %s", generation.pk, type(exc).__name__, exc)
        return None
    # Conditional: a concurrent run that stored one first keeps theirs.
    if not Generation.objects.filter(pk=generation.pk, poster_file="").update(poster_file=name):
        field.storage.delete(name)
        return None
    log.info("poster for %s stored as %s (%d bytes)", generation.pk, name, len(image))
    return name


def _open(file):
    """A seekable binary file of a stored video. On S3 it reads byte ranges as the decoder asks
    (django-storages' own S3 file would first copy the whole video into memory)."""
    storage = file.storage
    if result_storage.is_s3(storage):
        from storages.utils import clean_name

        key = storage._normalize_name(clean_name(file.name))  # as S3Storage names the object
        return RangedObject(storage.connection.meta.client, storage.bucket_name, key)
    return file.open("rb")


class RangedObject(io.RawIOBase):
    """An S3 object as a read-only, seekable file: each read outside the block in hand fetches
    the next READ_BLOCK bytes with a ranged GET, so memory stays at one block whatever the size.
    An MP4's index may sit at either end, and the first second of video is near the start: a
    poster costs a few requests, not the whole file."""

    READ_BLOCK = 1024 * 1024

    def __init__(self, client, bucket: str, key: str):
        super().__init__()
        self.client, self.bucket, self.key = client, bucket, key
        self.size = client.head_object(Bucket=bucket, Key=key)["ContentLength"]
        self.position = 0
        self.block_start, self.block = 0, b""

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = max(0, base + offset)
        return self.position

    def readinto(self, buffer) -> int:
        if self.position >= self.size:
            return 0
        if not self.block_start <= self.position < self.block_start + len(self.block):
            last = min(self.size, self.position + self.READ_BLOCK) - 1
            answer = self.client.get_object(
                Bucket=self.bucket, Key=self.key, Range=f"bytes={self.position}-{last}"
            )
            self.block_start, self.block = self.position, answer["Body"].read()
        offset = self.position - self.block_start
        count = min(len(buffer), len(self.block) - offset)
        buffer[:count] = self.block[offset : offset + count]
        self.position += count
        return count


def poster_jpeg(video) -> bytes:
    """A JPEG of the frame about POSTER_AT_SECONDS into `video` (a seekable binary file), or of
    its last frame when it is shorter. Raises PosterError (or PyAV's errors) for a broken file."""
    # Imported here: FFmpeg's libraries add about 20 MB to a process, and only the worker that
    # makes posters needs them (not the web workers, the poller or django-q's other processes).
    import av

    with av.open(video, mode="r") as container:
        if not container.streams.video:
            raise PosterError("the file has no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        chosen = None
        for count, frame in enumerate(container.decode(stream), start=1):
            chosen = frame
            if (frame.time is not None and frame.time >= POSTER_AT_SECONDS) or count >= MAX_FRAMES_DECODED:
                break
        if chosen is None:
            raise PosterError("no frame could be decoded")
        image = chosen.to_image()
    image.thumbnail((POSTER_WIDTH, POSTER_WIDTH * 4))
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()
