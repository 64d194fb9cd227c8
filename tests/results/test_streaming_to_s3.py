"""Mirroring into S3 (moto's server on loopback) streams: provider -> multipart upload, one part
at a time, and the tenant downloads the copy through a presigned redirect."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from generations import results
from generations.models import Generation
from tests.s3 import free_port
from tests.webhooks.helpers import provide, running_generation

pytestmark = pytest.mark.django_db

MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
MB = 1024 * 1024

# A provider's file server on loopback: /<n>.mp4 answers an MP4 header and n MB of filler,
# produced as it is sent (the test process never holds the file either).
SERVER = textwrap.dedent(
    """
    import sys
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    HEAD = {head!r}
    CHUNK = bytes(range(256)) * 256

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            size = int(self.path.strip("/").split(".")[0]) * 1024 * 1024
            self.send_response(200)
            self.send_header("Content-Type", "video/mp4")
            self.send_header("Content-Length", str(size))
            self.end_headers()
            self.wfile.write(HEAD)
            left = size - len(HEAD)
            while left > 0:
                piece = CHUNK[: min(len(CHUNK), left)]
                self.wfile.write(piece)
                left -= len(piece)

        def log_message(self, *args):
            pass

    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
    """
).format(head=MP4_HEAD)


@pytest.fixture(scope="module")
def provider_files():
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", SERVER, str(port)])
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.head(base, timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.05)
    yield base
    process.terminate()
    process.wait(timeout=10)


def finishing_with(tenant, url):
    """The provider finished with its video at `url`; the copy is still to be made."""
    generation = running_generation(tenant)
    provide(generation, "succeeded", video_url=url, last_frame_url="")
    return Generation.objects.get(pk=generation.pk)


def peak_rss_growth(action) -> int:
    """Bytes the process's resident memory rose above where it stood, at its highest, while
    `action` ran (Linux: VmHWM after resetting it through /proc/self/clear_refs)."""
    Path("/proc/self/clear_refs").write_text("5")

    def status(field: str) -> int:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
        raise LookupError(field)

    before = status("VmRSS")
    action()
    return status("VmHWM") - before


def test_a_mirrored_video_goes_to_s3_and_downloads_through_a_presigned_url(
    api_client, tenant, s3_storage, provider_files, queued
):
    generation = finishing_with(tenant, f"{provider_files}/2.mp4")
    assert results.mirror(generation.pk) is None  # copied, nothing to retry
    generation.refresh_from_db()
    assert generation.status == "succeeded"
    assert generation.video_file.name.endswith(f"{generation.pk}.mp4")
    response = api_client.get(f"/api/v1/generations/{generation.pk}/video")
    assert response.status_code == 302
    video = httpx.get(response["Location"])
    assert video.status_code == 200
    assert len(video.content) == 2 * MB and video.content.startswith(MP4_HEAD)


def test_a_200_mb_result_streams_with_flat_memory(tenant, s3_storage, provider_files, queued, settings):
    settings.AWS_S3_MULTIPART_CHUNK_BYTES = 5 * MB
    # Warm up: clients, connection pools and imports are not what is measured.
    results.mirror(finishing_with(tenant, f"{provider_files}/1.mp4").pk)

    generation = finishing_with(tenant, f"{provider_files}/200.mp4")
    growth = peak_rss_growth(lambda: results.mirror(generation.pk))

    generation.refresh_from_db()
    assert generation.video_file.size == 200 * MB
    print(f"peak resident memory growth while mirroring 200 MB to S3: {growth / MB:.1f} MB")
    assert growth < 16 * MB, f"memory grew by {growth / MB:.1f} MB while mirroring 200 MB"
