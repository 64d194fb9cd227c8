"""Checks for the images of a create request (first_frame, last_frame, reference images).

An image is an http(s) URL, a `data:` URI or an uploaded file's id (`file_...`, see
generations.files). Image bytes (a data: URI, an upload) are checked here against the limits
every provider shares: jpeg/png/webp/bmp/tiff/gif/heic/heif, at most 10 MB, each side
300..6000 px and an aspect ratio strictly between 0.4 and 2.5. PNG, JPEG and WebP headers are
read directly (the common case, no decoding); the other formats through Pillow. A format the
chosen provider does not take is converted when the job is sent (generations.files). URLs are
not fetched here (the providers fetch them), so only their form and, where the path names
one, their file type are checked.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import struct
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from PIL import Image, UnidentifiedImageError
from pillow_heif import register_heif_opener

from seedance_site import validators

register_heif_opener()  # lets Pillow read (and convert) HEIC/HEIF

MAX_BYTES = 10 * 1024 * 1024
TOO_LARGE = f"images may be at most {MAX_BYTES // (1024 * 1024)} MB."
MIN_SIDE, MAX_SIDE = 300, 6000
MIN_RATIO, MAX_RATIO = 0.4, 2.5
TYPES = ("jpeg", "png", "webp", "bmp", "tiff", "gif", "heic", "heif")
_ALIASES = {"jpg": "jpeg", "tif": "tiff"}
FILE_ID_PREFIX = "file_"

_DATA_URI = re.compile(r"^data:image/(?P<type>[a-z]+);base64,(?P<data>.*)$", re.DOTALL)
# Extensions that certainly are not an accepted image; anything else (or none) is let through.
_OTHER_EXTENSIONS = {".svg", ".avif", ".mp4", ".mov", ".pdf"}
_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis"}
_HEIF_BRANDS = {b"mif1", b"msf1", b"heif"}


class ImageProblem(ValueError):
    """What is wrong with one image, in words fit for a 422 message."""


def check_image(value: str) -> None:
    """Raise ImageProblem if `value` is not an acceptable image URL or data: URI.

    Uploaded files (ids, our URLs) are generations.files' to check, for the tenant.
    """
    if value.startswith("data:"):
        decode_data_uri(value)
    else:
        _check_url(value)


def _check_url(value: str) -> None:
    # The shared URL rule; the providers fetch image URLs, so host names are not looked up here.
    try:
        validators.check_url(value, resolve_host=False)
    except ValidationError as error:
        message = error.messages[0]
        if message == "only http and https URLs are allowed.":
            message = "must be an http(s) URL or a data:image/...;base64 URI."
        raise ImageProblem(message) from None
    path = urlsplit(value).path.lower()
    dot = path.rfind(".")
    if dot > path.rfind("/") and path[dot:] in _OTHER_EXTENSIONS:
        raise ImageProblem(f"must be a {'/'.join(TYPES)} image, not {path[dot + 1 :]}.")


def decode_data_uri(value: str) -> tuple[bytes, str]:
    """The image bytes and type of a data: URI, checked; or ImageProblem."""
    match = _DATA_URI.match(value)
    if match is None:
        raise ImageProblem("a data: URI must look like data:image/png;base64,<base64 data>.")
    declared = _ALIASES.get(match["type"], match["type"])
    if declared not in TYPES:
        raise ImageProblem(f"image/{declared} is not accepted; use {', '.join(TYPES)}.")
    encoded = match["data"]
    # Reject before decoding: base64 grows data by 4/3.
    if len(encoded) > MAX_BYTES * 4 // 3 + 4:
        raise ImageProblem(TOO_LARGE)
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ImageProblem("the data: URI is not valid base64.") from None
    actual = check_image_bytes(data)
    if actual != declared and {actual, declared} != {"heic", "heif"}:
        raise ImageProblem(f"the data is a {actual} image but the URI says image/{declared}.")
    return data, actual


def check_image_bytes(data: bytes) -> str:
    """The type of an image (data: URI payload, upload), checked against the limits; or ImageProblem."""
    if len(data) > MAX_BYTES:
        raise ImageProblem(TOO_LARGE)
    actual = sniff_type(data)
    if actual is None:
        raise ImageProblem(f"the data is not a {'/'.join(TYPES)} image.")
    size = image_size(data, actual)
    if size is None:
        raise ImageProblem(f"the {actual} image is truncated or damaged: its size cannot be read.")
    width, height = size
    for side, pixels in (("width", width), ("height", height)):
        if not MIN_SIDE <= pixels <= MAX_SIDE:
            raise ImageProblem(f"{side} must be {MIN_SIDE} to {MAX_SIDE} px (got {width}x{height}).")
    if not MIN_RATIO < width / height < MAX_RATIO:
        raise ImageProblem(
            f"aspect ratio (width/height) must be between {MIN_RATIO} and {MAX_RATIO} (got {width}x{height})."
        )
    return actual


def sniff_type(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data.startswith(b"BM"):
        return "bmp"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if data[4:8] == b"ftyp":
        if data[8:12] in _HEIC_BRANDS:
            return "heic"
        if data[8:12] in _HEIF_BRANDS:
            return "heif"
    return None


def image_size(data: bytes, kind: str) -> tuple[int, int] | None:
    """(width, height) read from the image header, or None if the header is unreadable."""
    readers = {"png": _png_size, "jpeg": _jpeg_size, "webp": _webp_size}
    try:
        return readers[kind](data) if kind in readers else _pillow_size(data)
    except (struct.error, IndexError):
        return None


def _pillow_size(data: bytes) -> tuple[int, int] | None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return None


def _png_size(data: bytes) -> tuple[int, int] | None:
    # The IHDR chunk must come first: length(4) "IHDR"(4) width(4) height(4).
    if data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    # Walk the marker segments to the first SOFn frame header, which holds the size.
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length field
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        # SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC), which share the range.
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        i += 2 + length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 ":  # lossy: 14-bit sizes after the 3-byte start code 9d 01 2a
        if data[23:26] != b"\x9d\x01\x2a":
            return None
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L":  # lossless: signature 0x2f, then 14-bit (size - 1) fields
        if data[20] != 0x2F:
            return None
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":  # extended: 24-bit (canvas size - 1) fields
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    return None
