"""Outbound HTTP to URLs our customers (or providers) choose: the SSRF guard and its client.

`generations/providers/` talks to the providers' own APIs; this module talks to arbitrary URLs:
customer webhooks, provider result files (video, last frame) and image URLs we fetch ourselves.
Every such request goes through here, so one policy applies to all of them:

- Only http and https. The host name is resolved and EVERY address it resolves to must be a
  public unicast address. Loopback, private (RFC 1918, fc00::/7), link-local (which includes
  the cloud metadata service 169.254.169.254), CGNAT (100.64/10), multicast, reserved,
  unspecified and the AWS IPv6 metadata address fd00:ec2::254 are refused with
  `OutboundRefused`, unless settings.OUTBOUND_ALLOWLIST names the host, the address or a CIDR
  containing it (the sandbox and the test suite use this).
- Redirects are followed by hand, at most OUTBOUND_MAX_REDIRECTS hops, and every hop is checked
  like the first URL, so a public URL that redirects to 10.0.0.1 is refused too.
- The check runs twice: once before the request (clear error, works with mocked transports) and
  again inside the connection itself (`GuardedBackend.connect_tcp`), which resolves the name,
  checks the addresses and connects to the checked address. So a DNS answer that changes
  between the check and the connect (DNS rebinding) cannot reach an internal address. TLS is
  still verified against the URL's host name, because httpcore takes the server name from the
  URL, not from the address we connect to.
- No proxies from the environment (trust_env=False): a proxy would resolve names itself.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx
from django.conf import settings

from seedance_site.errors import DomainError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# Addresses that `ipaddress` calls global but that still lead inside a cloud: the AWS Nitro
# IPv6 metadata endpoint sits in fd00::/8 (already private), listed for clarity.
METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
CGNAT = ipaddress.ip_network("100.64.0.0/10")
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class OutboundRefused(DomainError):
    """The destination is not allowed (scheme, or an internal address). Never retried."""

    code = "destination_not_allowed"
    http_status = 422

    def __init__(self, url: str, reason: str):
        super().__init__(
            f"Refused to contact {_shorten(url)}: {reason}", details={"url": url, "reason": reason}
        )
        self.reason = reason


class OutboundError(DomainError):
    """The destination could not be reached or answered unusably. `retryable`: try again later."""

    code = "outbound_error"
    http_status = 502

    def __init__(self, message: str, *, retryable: bool = True, details: dict | None = None):
        super().__init__(message, details=details)
        self.retryable = retryable


def _shorten(url: str) -> str:
    return url if len(url) <= 120 else url[:117] + "..."


# --- The policy ---------------------------------------------------------------------------------


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to. A module function so tests can monkeypatch DNS."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def _allowlist() -> tuple[set[str], list[ipaddress.IPv4Network | ipaddress.IPv6Network]]:
    hosts: set[str] = set()
    networks = []
    for entry in settings.OUTBOUND_ALLOWLIST:
        entry = entry.strip().lower().strip("[]")
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            hosts.add(entry)
    return hosts, networks


def _why_forbidden(address: Address) -> str | None:
    """Why `address` is internal, or None for a public unicast address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_unspecified:
        return "an unspecified address"
    if isinstance(address, ipaddress.IPv4Address) and address in CGNAT:
        return "a carrier-grade NAT (100.64.0.0/10) address"
    # Before is_private, which Python also sets for 240.0.0.0/4 and other reserved ranges.
    if address.is_reserved:
        return "a reserved address"
    if address.is_private:
        return "a private address"
    if not address.is_global:
        return "a reserved address"
    return None


def checked_addresses(host: str, port: int, url: str | None = None) -> list[str]:
    """The addresses of `host` we may connect to; raises OutboundRefused if any is internal.

    All addresses must pass, not just one: a name resolving to a public and a private address
    would otherwise let the connection pick the private one.
    """
    url = url or host
    host = host.lower().strip("[]")
    allowed_hosts, allowed_networks = _allowlist()
    host_allowed = host in allowed_hosts
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        candidates = [host]
    else:
        try:
            candidates = resolve(host, port)
        except (socket.gaierror, UnicodeError) as exc:
            raise OutboundError(f"Could not resolve {host}: {exc}", retryable=True) from exc
        if not candidates:
            raise OutboundError(f"{host} has no address.", retryable=True)
    for candidate in candidates:
        address = ipaddress.ip_address(candidate.split("%", 1)[0])
        reason = _why_forbidden(address)
        if reason is None or host_allowed or any(address in net for net in allowed_networks):
            continue
        named = f"{host} resolves to {address}, which is" if literal is None else f"{address} is"
        raise OutboundRefused(url, f"{named} {reason}; add it to OUTBOUND_ALLOWLIST if this is intended.")
    return candidates


def check_url(url: str) -> None:
    """Raise OutboundRefused unless `url` is an http(s) URL whose host is allowed (see above)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise OutboundRefused(url, f"it is not a valid URL ({exc}).") from None
    if parts.scheme not in ("http", "https"):
        raise OutboundRefused(url, "only http and https URLs are allowed.")
    if not parts.hostname:
        raise OutboundRefused(url, "the URL has no host.")
    checked_addresses(parts.hostname, port or (443 if parts.scheme == "https" else 80), url)


# --- The client ---------------------------------------------------------------------------------


class GuardedBackend(httpcore.SyncBackend):
    """Resolves, checks and connects to the checked address: no DNS-rebinding window."""

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        last_error: Exception | None = None
        for address in checked_addresses(host, port):
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
        raise last_error or httpcore.ConnectError(f"could not connect to {host}")


class GuardedTransport(httpx.HTTPTransport):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # httpx does not expose httpcore's network_backend; its pool reads this attribute.
        self._pool._network_backend = GuardedBackend()


_transport_override: httpx.BaseTransport | None = None


@contextmanager
def use_transport(transport: httpx.BaseTransport) -> Iterator[None]:
    """Send every outbound request through `transport` (tests: respx, the in-process sandbox).

    The pre-request check of every hop still runs; only the connect-time re-check is skipped,
    because an in-process transport never opens a socket.
    """
    global _transport_override
    previous, _transport_override = _transport_override, transport
    try:
        yield
    finally:
        _transport_override = previous


def _client(timeout: float) -> httpx.Client:
    transport = _transport_override or GuardedTransport()
    return httpx.Client(
        transport=transport,
        timeout=httpx.Timeout(timeout, connect=min(timeout, settings.OUTBOUND_CONNECT_TIMEOUT)),
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": settings.OUTBOUND_USER_AGENT},
    )


@contextmanager
def stream(
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    content: bytes | None = None,
    timeout: float | None = None,
    follow_redirects: bool = True,
) -> Iterator[httpx.Response]:
    """Send a request and yield the (unread) response, after following redirects safely.

    Raises OutboundRefused for a forbidden destination (at any hop), OutboundError for too many
    redirects; httpx.HTTPError (timeouts, connection errors) propagates for the caller to judge.
    """
    timeout = timeout or settings.OUTBOUND_READ_TIMEOUT
    with _client(timeout) as client:
        for _hop in range(settings.OUTBOUND_MAX_REDIRECTS + 1):
            check_url(url)
            request = client.build_request(method, url, headers=headers, content=content)
            response = client.send(request, stream=True)
            location = response.headers.get("Location")
            if not follow_redirects or response.status_code not in REDIRECT_STATUSES or not location:
                try:
                    yield response
                finally:
                    response.close()
                return
            response.close()
            url = urljoin(url, location)
            # Browsers' rules: 303 always, and 301/302 after a POST, continue as a bodiless GET.
            if response.status_code == 303 or (response.status_code in (301, 302) and method == "POST"):
                method, content = "GET", None
        raise OutboundError(
            f"More than {settings.OUTBOUND_MAX_REDIRECTS} redirects; the last one pointed to {_shorten(url)}.",
            retryable=False,
        )


def read_limited(response: httpx.Response, limit: int) -> bytes:
    """At most `limit` bytes of the body (the rest is never downloaded)."""
    data = bytearray()
    for chunk in response.iter_bytes():
        data.extend(chunk[: limit - len(data)])
        if len(data) >= limit:
            break
    return bytes(data)


IMAGE_TYPES = {"image/png": "png", "image/jpeg": "jpeg", "image/jpg": "jpeg", "image/webp": "webp"}


def fetch_image(url: str, max_bytes: int | None = None) -> tuple[bytes, str]:
    """Download an image URL through the guard: (bytes, content type such as "image/png").

    Raises OutboundRefused (forbidden destination) or OutboundError (unreachable, not 200, not
    a png/jpeg/webp, larger than `max_bytes`, default settings.OUTBOUND_IMAGE_MAX_BYTES).
    """
    max_bytes = max_bytes or settings.OUTBOUND_IMAGE_MAX_BYTES
    try:
        with stream("GET", url) as response:
            if response.status_code != 200:
                raise OutboundError(
                    f"Fetching the image answered HTTP {response.status_code}.",
                    retryable=response.status_code >= 500,
                )
            content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if content_type not in IMAGE_TYPES:
                raise OutboundError(
                    f"The URL serves {content_type or 'no content type'}, not a png, jpeg or webp image.",
                    retryable=False,
                )
            data = read_limited(response, max_bytes + 1)
    except httpx.HTTPError as exc:
        raise OutboundError(f"Could not fetch the image: {type(exc).__name__}: {exc}") from exc
    if len(data) > max_bytes:
        raise OutboundError(f"The image is larger than {max_bytes} bytes.", retryable=False)
    return data, "image/jpeg" if content_type == "image/jpg" else content_type
