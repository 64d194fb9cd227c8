"""One rule per input, used by the API, the portal, the provider callbacks and the commands.

- ids: a generation id is `gen_` + 26 base-32 characters and a token is URL-safe base64; both
  are checked for form (path converters, query parameters) before any query, so a NUL byte or
  a 300-character id is a 404 or a 422, never a database error;
- URLs we will contact (callback_url, callBackUrl, webhook URLs, image URLs): http(s), at most
  2000 characters, no spaces or control characters, and a host the outbound guard accepts
  (generations.outbound: no loopback, private, link-local or metadata addresses);
- names (teams, API keys): one line of text with no control characters and no text-direction
  overrides (a NUL byte, a line break or an escape; U+202E that shows a name backwards);
- credit amounts: whole numbers from 1 to MAX_CREDITS (far below the 64-bit columns' limit, so
  sums of them cannot overflow either); calendar days: DAY_MIN..DAY_MAX;
- request bodies: at most REQUEST_MAX_BODY_BYTES (settings; a JSON 413 past it), JSON nested at
  most MAX_JSON_DEPTH levels (a JSON 400 past it, as for any body that does not parse).
"""

from __future__ import annotations

import ipaddress
import json
import re
import unicodedata
from datetime import date
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

from seedance_site.errors import DomainError

GENERATION_ID_PATTERN = r"gen_[0-9a-z]{26}"
TOKEN_PATTERN = r"[A-Za-z0-9_-]{16,64}"
_GENERATION_ID = re.compile(rf"^{GENERATION_ID_PATTERN}\Z")
_TOKEN = re.compile(rf"^{TOKEN_PATTERN}\Z")
_ROW_ID = re.compile(r"^[0-9]{1,18}\Z")

MAX_URL_LENGTH = 2000
# The URL form we accept, also the OpenAPI pattern: http or https, an ASCII host name or IPv4
# address (international names in punycode), an optional port, then printable ASCII only.
_PORT = r"([0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
URL_PATTERN = rf"^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9.-]+(:{_PORT})?([/?#][!-~]*)?$"
_URL = re.compile(URL_PATTERN.replace("$", "\\Z"))
MAX_CREDITS = 10**12
DAY_MIN, DAY_MAX = date(2000, 1, 1), date(2999, 12, 31)
MAX_JSON_DEPTH = 32


def is_generation_id(value) -> bool:
    return isinstance(value, str) and _GENERATION_ID.match(value) is not None


def is_row_id(value) -> bool:
    """A database row id written as digits that fit a 64-bit column."""
    return isinstance(value, str) and _ROW_ID.match(value) is not None


def is_token(value) -> bool:
    return isinstance(value, str) and _TOKEN.match(value) is not None


# --- Path converters (registered in seedance_site/urls.py) ---------------------------------------


class GenerationIdConverter:
    regex = GENERATION_ID_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class TokenConverter(GenerationIdConverter):
    regex = TOKEN_PATTERN


# --- URLs -----------------------------------------------------------------------------------------


def check_url(value, *, resolve_host: bool = True) -> str:
    """`value` as an http(s) URL the outbound guard accepts, or ValidationError saying why not.

    With resolve_host=False (image URLs, which the providers fetch, not us) a host name is not
    looked up, but an address written in the URL must still be a public one. The guard runs
    again at every request we make, because DNS can change.
    """
    # The guard lives with the outbound client; imported here so that accounts and billing, which
    # use this module's other rules, do not import generations.
    from generations import outbound

    if not isinstance(value, str):
        raise ValidationError("must be a string holding an http(s) URL.")
    if len(value) > MAX_URL_LENGTH:
        raise ValidationError(f"URLs may be at most {MAX_URL_LENGTH} characters long.")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValidationError("URLs may not contain spaces or control characters.")
    if not value.lower().startswith(("http://", "https://")):
        raise ValidationError("only http and https URLs are allowed.")
    if not _URL.match(value):
        raise ValidationError(
            "is not a valid URL: use an ASCII host name or IPv4 address (punycode for international "
            "names), an optional port, and printable ASCII after it (percent-encode the rest)."
        )
    parts = urlsplit(value)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        if resolve_host:
            outbound.check_url(value)
        elif _is_address(parts.hostname):
            outbound.checked_addresses(parts.hostname, port, value)
    except outbound.OutboundRefused as exc:
        raise ValidationError(exc.details["reason"]) from None
    except outbound.OutboundError as exc:
        raise ValidationError(exc.message) from None
    return value


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host.lower() == "localhost"
    return True


# --- Names ----------------------------------------------------------------------------------------

# Bidirectional embeddings, overrides and isolates: they make a name read differently from
# what it is (a key "cod.exe" shown as "exe.doc"). Other format characters (emoji joiners) pass.
_DIRECTION_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def check_name(value: str) -> str:
    """A one-line name shown to people (a team, an API key): no control characters."""
    if any(unicodedata.category(ch) == "Cc" or ch in _DIRECTION_CONTROLS for ch in value):
        raise ValidationError(
            "A name may not contain control characters (line breaks, tabs, NUL bytes) or "
            "text-direction overrides."
        )
    return value


# --- Amounts and days -----------------------------------------------------------------------------


def check_credits(value) -> int:
    """A positive whole number of credits up to MAX_CREDITS."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError("must be a whole number of credits.")
    if not 1 <= value <= MAX_CREDITS:
        raise ValidationError(f"must be between 1 and {MAX_CREDITS:,} credits.")
    return value


def check_day(value: date) -> date:
    if not DAY_MIN <= value <= DAY_MAX:
        raise ValidationError(f"must be a day between {DAY_MIN.isoformat()} and {DAY_MAX.isoformat()}.")
    return value


# --- Request bodies -------------------------------------------------------------------------------


class BodyTooLarge(DomainError):
    code = "request_too_large"
    http_status = 413

    def __init__(self, length: int | None = None):
        limit = settings.REQUEST_MAX_BODY_BYTES
        size = f"is {length} bytes" if length is not None else "is too large"
        super().__init__(
            f"The request body {size}; at most {limit} bytes are accepted.", details={"max_bytes": limit}
        )


class MalformedBody(DomainError):
    code = "malformed_request"
    http_status = 400


def parse_json(raw: bytes | str):
    """The JSON value in `raw`, or MalformedBody (not JSON, not UTF-8, or nested too deeply)."""
    try:
        value = json.loads(raw)
    except RecursionError:
        raise _too_deep() from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedBody(f"The body is not valid JSON: {exc}") from None
    check_depth(value)
    return value


def check_depth(value) -> None:
    """MalformedBody if arrays/objects in `value` nest deeper than MAX_JSON_DEPTH (no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > MAX_JSON_DEPTH:
                    raise _too_deep()
                stack.append((child, depth + 1))


def _too_deep() -> MalformedBody:
    return MalformedBody(
        f"The JSON body is nested too deeply: at most {MAX_JSON_DEPTH} levels of arrays and objects.",
        details={"max_depth": MAX_JSON_DEPTH},
    )


class RowIdConverter:
    """A database row id: 1 to 18 digits, so it always fits a 64-bit column."""

    regex = _ROW_ID.pattern[1:-2]

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
