"""Images customers hand us, kept and served to providers.

Every image a job names ends up as something its provider takes:

- an http(s) URL of the customer's is passed on as it is;
- a `data:` URI goes inline to a provider that takes base64 images, and to any other provider
  as a URL to our copy;
- an uploaded file (`file_...` id, or the `url` POST /api/v1/files answered) goes as a URL to
  it (the portal stores the form's files the same way and names them by id);
- a format the provider does not take (bmp, tiff, gif, heic, ...) is converted with Pillow first.

The URLs we hand providers are `/files/<token>` on SITE_URL: the token is signed (unguessable)
and carries its expiry, the job's deadline, after which the URL answers 404. Copies and uploads
live in Django's default storage (S3 in production) and are deleted once they expire.
"""

from __future__ import annotations

import base64
import io
import re
import uuid
from dataclasses import replace
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts.models import Tenant
from generations.api.images import (
    FILE_ID_PREFIX,
    ImageProblem,
    check_image_bytes,
    decode_data_uri,
    image_size,
)
from generations.models import UploadedImage
from generations.providers.base import Adapter
from generations.spec import GenerationSpec, SpecError

SALT = "generations.files.hosted"
FILE_ID = re.compile(r"file_[0-9a-z]{26}")
# What a format a provider does not take becomes: JPEG, or PNG where there is transparency.
JPEG_QUALITY = 92


# --- Storing ----------------------------------------------------------------------------------


def store(tenant: Tenant, data: bytes, kind: str, *, source: str, expires_at: datetime) -> UploadedImage:
    """Save checked image bytes in default storage and record them."""
    width, height = image_size(data, kind) or (0, 0)
    image = UploadedImage(
        tenant=tenant,
        kind=kind,
        width=width,
        height=height,
        size=len(data),
        source=source,
        expires_at=expires_at,
    )
    image.file.save(f"{tenant.pk}/{uuid.uuid4().hex}.{kind}", ContentFile(data), save=False)
    image.save()
    return image


def upload(tenant: Tenant, uploaded) -> UploadedImage:
    """An uploaded file (POST /api/v1/files), checked like a data: URI; ImageProblem if it is not fit."""
    data = uploaded.read()
    kind = check_image_bytes(data)
    keep = timedelta(hours=settings.UPLOADED_FILE_RETENTION_HOURS)
    return store(tenant, data, kind, source=UploadedImage.Source.UPLOAD, expires_at=timezone.now() + keep)


# An image kind ("png", "jpeg", ...) to its content type, where "image/<kind>" is not it.
_CONTENT_TYPES = {"jpeg": "image/jpeg", "jpg": "image/jpeg", "heic": "image/heic", "heif": "image/heif"}


def content_type(kind: str) -> str:
    """The content type an image of `kind` is served with."""
    return _CONTENT_TYPES.get(kind, f"image/{kind}")


def read(image: UploadedImage) -> bytes:
    with image.file.open("rb") as handle:
        return handle.read()


def discard(images: list[UploadedImage]) -> None:
    """Delete copies made for a create that was refused."""
    for image in images:
        image.file.delete(save=False)
        image.delete()


def purge_expired() -> str:
    """Scheduled: delete uploads and copies past their expiry, files first."""
    count = 0
    for image in UploadedImage.objects.filter(expires_at__lte=timezone.now()).iterator():
        image.file.delete(save=False)
        image.delete()
        count += 1
    return f"deleted {count} image(s)"


# --- Hosting ----------------------------------------------------------------------------------


def hosted_url(image: UploadedImage, until: datetime) -> str:
    """A public URL of `image` that works until `until` (and no longer than the image is kept)."""
    expires = min(until, image.expires_at)
    token = signing.dumps([image.pk, int(expires.timestamp())], salt=SALT, compress=True)
    return f"{settings.SITE_URL}{reverse('files:hosted', args=[token])}"


def hosted_image(token: str) -> UploadedImage | None:
    """The image a hosted URL's token names, or None when it is forged, expired or deleted."""
    try:
        image_id, expires = signing.loads(token, salt=SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    now = timezone.now()
    if now.timestamp() >= expires:
        return None
    return UploadedImage.objects.filter(pk=image_id, expires_at__gt=now).first()


def _hosted_prefix() -> str:
    return f"{settings.SITE_URL}/files/"


def tenant_file(tenant: Tenant, value: str) -> UploadedImage | None:
    """The tenant's live file that `value` names (its id, or a URL we answered for it), else None."""
    if value.startswith(FILE_ID_PREFIX):
        if not FILE_ID.fullmatch(value):
            return None  # checked for form before any query (a NUL byte is a database error)
        return (
            UploadedImage.objects.for_tenant(tenant).filter(pk=value, expires_at__gt=timezone.now()).first()
        )
    if value.startswith(_hosted_prefix()):
        image = hosted_image(value.removeprefix(_hosted_prefix()).rstrip("/"))
        return image if image is not None and image.tenant_id == tenant.pk else None
    return None


def is_file_reference(value: str) -> bool:
    return value.startswith((FILE_ID_PREFIX, _hosted_prefix()))


# --- Converting -------------------------------------------------------------------------------


def convert(data: bytes) -> tuple[bytes, str]:
    """The image re-encoded as PNG (if it has transparency) or JPEG; the first frame of a GIF."""
    out = io.BytesIO()
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.seek(0)
            if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
                image.convert("RGBA").save(out, format="PNG", optimize=True)
                return out.getvalue(), "png"
            image.convert("RGB").save(out, format="JPEG", quality=JPEG_QUALITY)
            return out.getvalue(), "jpeg"
    except (OSError, ValueError, SyntaxError) as exc:
        raise ImageProblem(f"the image cannot be decoded to convert it ({exc}).") from None


# --- Preparing a job's images for its provider --------------------------------------------------


def for_provider(
    spec: GenerationSpec, adapter: Adapter, tenant: Tenant, *, until: datetime
) -> tuple[GenerationSpec, list[UploadedImage]]:
    """`spec` with every image in a form `adapter` takes, and the copies made for it.

    Hosted URLs work until `until` (the job's deadline). Raises SpecError naming the field of a
    file the tenant does not have.
    """
    made: list[UploadedImage] = []
    caps = adapter.capabilities.for_model(spec.model)

    def prepare(value: str | None, field: str) -> str | None:
        try:
            return prepare_one(value, field)
        except ImageProblem as problem:
            raise SpecError({field: str(problem)}) from None

    def prepare_one(value: str | None, field: str) -> str | None:
        if not value or not (value.startswith("data:") or is_file_reference(value)):
            return value
        if value.startswith("data:"):
            data, kind = decode_data_uri(value)
            if kind not in caps.image_formats:
                data, kind = convert(data)
            elif caps.base64_images:
                return value
            if caps.base64_images:
                return f"data:image/{kind};base64,{base64.b64encode(data).decode()}"
            copy = store(tenant, data, kind, source=UploadedImage.Source.COPY, expires_at=until)
            made.append(copy)
            return hosted_url(copy, until)
        image = tenant_file(tenant, value)
        if image is None:
            raise SpecError({field: "no such file (unknown, expired or not yours)."})
        if image.kind not in caps.image_formats:
            data, kind = convert(read(image))
            image = store(tenant, data, kind, source=UploadedImage.Source.COPY, expires_at=until)
            made.append(image)
        return hosted_url(image, until)

    try:
        prepared = replace(
            spec,
            first_frame=prepare(spec.first_frame, "first_frame"),
            last_frame=prepare(spec.last_frame, "last_frame"),
            reference_images=tuple(prepare(v, "reference_images") for v in spec.reference_images),
        )
    except SpecError:
        discard(made)
        raise
    return prepared, made
