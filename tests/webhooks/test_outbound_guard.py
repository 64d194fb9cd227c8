"""The SSRF guard: internal destinations are refused, directly, by DNS and by redirect."""

from __future__ import annotations

import httpx
import pytest

from generations import outbound
from generations.outbound import OutboundRefused, check_url, fetch_image

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 100


@pytest.fixture(autouse=True)
def _no_allowlist(settings):
    settings.OUTBOUND_ALLOWLIST = []


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/hook", "loopback"),
        ("http://127.8.9.10:8000/hook", "loopback"),
        ("http://10.0.0.7/hook", "private"),
        ("http://192.168.1.1/hook", "private"),
        ("http://172.16.0.1/hook", "private"),
        ("http://169.254.169.254/latest/meta-data/", "metadata"),
        ("http://[fd00:ec2::254]/latest/meta-data/", "metadata"),
        ("http://[::1]:8080/hook", "loopback"),
        ("http://[::ffff:127.0.0.1]/hook", "loopback"),
        ("http://169.254.10.10/", "link-local"),
        ("http://100.64.0.1/", "carrier-grade NAT"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://224.0.0.1/", "multicast"),
        ("http://240.0.0.1/", "reserved"),
    ],
)
def test_internal_addresses_are_refused_with_a_clear_error(url, reason, dns):
    with pytest.raises(OutboundRefused) as excinfo:
        check_url(url)
    assert reason in excinfo.value.message
    assert "OUTBOUND_ALLOWLIST" in excinfo.value.message
    assert excinfo.value.code == "destination_not_allowed"


def test_a_name_resolving_to_a_private_address_is_refused(dns):
    dns["intranet.customer.example"] = ["10.20.30.40"]
    with pytest.raises(
        OutboundRefused, match=r"intranet.customer.example resolves to 10.20.30.40, which is a private"
    ):
        check_url("https://intranet.customer.example/hook")


def test_one_private_address_among_public_ones_is_enough_to_refuse(dns):
    dns["mixed.customer.example"] = ["93.184.216.34", "127.0.0.1"]
    with pytest.raises(OutboundRefused, match="loopback"):
        check_url("https://mixed.customer.example/hook")


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "gopher://x.example/", "ftp://x.example/a", "http:///x"]
)
def test_other_schemes_and_hostless_urls_are_refused(url, dns):
    with pytest.raises(OutboundRefused):
        check_url(url)


def test_public_addresses_pass(dns):
    check_url("https://hooks.customer.example/hook")
    check_url("http://93.184.216.34/")


@pytest.mark.parametrize("entry", ["127.0.0.1", "127.0.0.0/8", "localhost"])
def test_the_allowlist_names_hosts_addresses_or_cidrs(entry, settings, dns):
    settings.OUTBOUND_ALLOWLIST = [entry]
    dns["localhost"] = ["127.0.0.1"]
    check_url("http://localhost:8000/hook" if entry == "localhost" else "http://127.0.0.1:8000/hook")
    with pytest.raises(OutboundRefused):
        check_url("http://10.0.0.1/hook")


def test_a_redirect_to_an_internal_address_is_refused(dns, respx_mock):
    respx_mock.get("https://images.customer.example/cat.png").mock(
        return_value=httpx.Response(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    )
    metadata = respx_mock.get("http://169.254.169.254/latest/meta-data/")
    with pytest.raises(OutboundRefused, match="metadata"):
        fetch_image("https://images.customer.example/cat.png")
    assert not metadata.called


def test_a_redirect_to_a_name_resolving_inside_is_refused(dns, respx_mock):
    dns["internal.customer.example"] = ["192.168.0.5"]
    respx_mock.get("https://images.customer.example/cat.png").mock(
        return_value=httpx.Response(301, headers={"Location": "https://internal.customer.example/cat.png"})
    )
    with pytest.raises(OutboundRefused, match="192.168.0.5"):
        fetch_image("https://images.customer.example/cat.png")


def test_public_redirects_are_followed_but_bounded(dns, respx_mock, settings):
    settings.OUTBOUND_MAX_REDIRECTS = 2
    respx_mock.get("https://a.example/1").mock(return_value=httpx.Response(302, headers={"Location": "/2"}))
    respx_mock.get("https://a.example/2").mock(return_value=httpx.Response(302, headers={"Location": "/3"}))
    respx_mock.get("https://a.example/3").mock(
        return_value=httpx.Response(200, headers={"Content-Type": "image/png"}, content=PNG)
    )
    assert fetch_image("https://a.example/1") == (PNG, "image/png")

    respx_mock.get("https://a.example/3").mock(return_value=httpx.Response(302, headers={"Location": "/4"}))
    with pytest.raises(outbound.OutboundError, match="More than 2 redirects"):
        fetch_image("https://a.example/1")


def test_fetch_image_refuses_other_content_types_and_large_images(dns, respx_mock):
    respx_mock.get("https://a.example/page").mock(
        return_value=httpx.Response(200, headers={"Content-Type": "text/html"}, content=b"<html>")
    )
    with pytest.raises(outbound.OutboundError, match="text/html"):
        fetch_image("https://a.example/page")
    respx_mock.get("https://a.example/big.png").mock(
        return_value=httpx.Response(200, headers={"Content-Type": "image/png"}, content=PNG * 10)
    )
    with pytest.raises(outbound.OutboundError, match="larger than 200 bytes"):
        fetch_image("https://a.example/big.png", max_bytes=200)


def test_the_connection_itself_is_pinned_to_a_checked_address(dns, monkeypatch):
    """Connect-time check (no mocked transport): DNS that changes after the first check
    (rebinding) still cannot reach an internal address."""
    answers = iter([["93.184.216.34"], ["127.0.0.1"]])
    monkeypatch.setattr(outbound, "resolve", lambda host, port: next(answers))
    with (
        pytest.raises(OutboundRefused, match="rebind.customer.example resolves to 127.0.0.1"),
        outbound.stream("GET", "http://rebind.customer.example/x"),
    ):
        pass


def test_the_backend_connects_to_the_address_it_checked(monkeypatch):
    connected = []
    monkeypatch.setattr(outbound, "resolve", lambda host, port: ["93.184.216.34"])
    monkeypatch.setattr(
        outbound.httpcore.SyncBackend,
        "connect_tcp",
        lambda self, host, port, *a, **k: connected.append((host, port)) or "stream",
    )
    assert outbound.GuardedBackend().connect_tcp("cdn.example", 443) == "stream"
    assert connected == [("93.184.216.34", 443)]
