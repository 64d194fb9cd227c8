"""Writing a result into storage while it downloads, so no worker holds a whole video.

`writer(storage, name_for)` returns a file-like object for `results.download()` to write into:

- S3 (django-storages' S3Storage): a multipart upload. Parts of AWS_S3_MULTIPART_CHUNK_BYTES
  (at least 5 MiB, S3's minimum) are gathered in a temporary file and sent one at a time, so a
  worker's memory stays flat however large the file is. A file smaller than one part is a
  single PUT.
- The filesystem (FileSystemStorage): straight into the final file.
- Any other storage: a temporary file, then `storage.save()`.

The object's name depends on what the file turns out to be, so the writer asks `name_for(head)`
(head = the first bytes) when it opens. `commit()` finishes the upload and returns the stored
name; `abort()` removes whatever was written. `size` counts the bytes written.
"""

from __future__ import annotations

import contextlib
import mimetypes
import os
import tempfile
from collections.abc import Callable

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage

HEAD_BYTES = 16
S3_MIN_PART_BYTES = 5 * 1024 * 1024


class _Sink:
    def write(self, data: bytes) -> None: ...
    def commit(self) -> str: ...
    def abort(self) -> None: ...


class ResultWriter:
    """Buffers the first HEAD_BYTES, names the file from them, then streams into a sink."""

    def __init__(self, storage, name_for: Callable[[bytes], str]):
        self.storage, self.name_for = storage, name_for
        self.head = b""
        self.sink: _Sink | None = None
        self.size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        if self.sink is None:
            self.head += data
            if len(self.head) >= HEAD_BYTES:
                self._open()
        else:
            self.sink.write(data)
        return len(data)

    def _open(self) -> None:
        name = self.storage.get_available_name(self.name_for(self.head))
        self.sink = _sink_for(self.storage, name)
        self.sink.write(self.head)
        self.head = b""

    def commit(self) -> str:
        if self.sink is None:
            self._open()
        return self.sink.commit()

    def abort(self) -> None:
        if self.sink is not None:
            self.sink.abort()


def writer(storage, name_for: Callable[[bytes], str]) -> ResultWriter:
    return ResultWriter(storage, name_for)


def is_s3(storage) -> bool:
    try:
        from storages.backends.s3 import S3Storage
    except ImportError:  # pragma: no cover - django-storages is a dependency
        return False
    return isinstance(storage, S3Storage)


def _sink_for(storage, name: str) -> _Sink:
    if is_s3(storage):
        return _S3Multipart(storage, name)
    if isinstance(storage, FileSystemStorage):
        return _LocalFile(storage, name)
    return _Spooled(storage, name)


class _S3Multipart(_Sink):
    def __init__(self, storage, name: str):
        from storages.utils import clean_name

        self.name = name
        self.bucket = storage.bucket_name
        # What S3Storage._save does: the key includes AWS_LOCATION.
        self.key = storage._normalize_name(clean_name(name))
        self.client = storage.connection.meta.client
        self.content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        self.part_bytes = max(settings.AWS_S3_MULTIPART_CHUNK_BYTES, S3_MIN_PART_BYTES)
        self.part = tempfile.TemporaryFile()  # noqa: SIM115 - closed by commit/abort
        self.part_size = 0
        self.upload_id: str | None = None
        self.parts: list[dict] = []

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            room = self.part_bytes - self.part_size
            self.part.write(view[:room])
            self.part_size += min(room, len(view))
            view = view[room:]
            if self.part_size == self.part_bytes:
                self._send_part()

    def _send_part(self) -> None:
        if self.upload_id is None:
            self.upload_id = self.client.create_multipart_upload(
                Bucket=self.bucket, Key=self.key, ContentType=self.content_type
            )["UploadId"]
        self.part.seek(0)
        number = len(self.parts) + 1
        answer = self.client.upload_part(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self.upload_id,
            PartNumber=number,
            Body=_Slice(self.part, self.part_size),
            ContentLength=self.part_size,
        )
        self.parts.append({"PartNumber": number, "ETag": answer["ETag"]})
        self.part.seek(0)
        self.part.truncate()
        self.part_size = 0

    def commit(self) -> str:
        try:
            if self.upload_id is None:
                self.part.seek(0)
                self.client.put_object(
                    Bucket=self.bucket, Key=self.key, Body=self.part.read(), ContentType=self.content_type
                )
                return self.name
            if self.part_size:
                self._send_part()
            self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=self.key,
                UploadId=self.upload_id,
                MultipartUpload={"Parts": self.parts},
            )
            return self.name
        finally:
            self.part.close()

    def abort(self) -> None:
        self.part.close()
        if self.upload_id is not None:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id)


class _Slice:
    """The first `length` bytes of a file, read in pieces (botocore streams a file body)."""

    def __init__(self, file, length: int):
        self.file, self.length, self.start = file, length, file.tell()

    def read(self, size: int = -1) -> bytes:
        left = self.start + self.length - self.file.tell()
        return self.file.read(left if size is None or size < 0 else min(size, left))

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if whence == os.SEEK_SET:
            return self.file.seek(self.start + offset) - self.start
        if whence == os.SEEK_END:
            return self.file.seek(self.start + self.length + offset) - self.start
        return self.file.seek(offset, whence) - self.start

    def tell(self) -> int:
        return self.file.tell() - self.start

    def __len__(self) -> int:
        return self.length


class _LocalFile(_Sink):
    def __init__(self, storage: FileSystemStorage, name: str):
        self.name, self.path = name, storage.path(name)
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        self.file = open(self.path, "xb")  # noqa: SIM115 - closed by commit/abort

    def write(self, data: bytes) -> None:
        self.file.write(data)

    def commit(self) -> str:
        self.file.close()
        return self.name

    def abort(self) -> None:
        self.file.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


class _Spooled(_Sink):
    def __init__(self, storage, name: str):
        self.storage, self.name = storage, name
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by commit/abort

    def write(self, data: bytes) -> None:
        self.file.write(data)

    def commit(self) -> str:
        try:
            self.file.seek(0)
            return self.storage.save(self.name, File(self.file, name=self.name))
        finally:
            self.file.close()

    def abort(self) -> None:
        self.file.close()
