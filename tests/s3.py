"""A real S3 API on loopback: moto's server mode in a child process, started by the tests.

`s3_server` (one per session) serves S3 at http://127.0.0.1:<free port>; `s3_storage` points
the default storage at a fresh bucket on it through django-storages, as production would with
AWS_STORAGE_BUCKET_NAME and AWS_S3_ENDPOINT_URL.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid

import boto3
import httpx
import pytest

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_S3_REGION_NAME": "us-east-1",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MotoServer:
    """moto_server on a loopback port; stop() and start() again keep the port (and lose the data)."""

    def __init__(self):
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> MotoServer:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(self.endpoint, timeout=1)
                return self
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("moto_server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        )

    def new_bucket(self) -> str:
        name = f"results-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name


@pytest.fixture(scope="session")
def s3_server():
    server = MotoServer().start()
    yield server
    server.stop()


def use_s3(settings, server: MotoServer, bucket: str) -> None:
    """Settings as production sets them from the environment (seedance_site/settings.py)."""
    from boto3.s3.transfer import TransferConfig

    settings.AWS_STORAGE_BUCKET_NAME = bucket
    settings.AWS_S3_ENDPOINT_URL = server.endpoint
    settings.AWS_ACCESS_KEY_ID = CREDENTIALS["AWS_ACCESS_KEY_ID"]
    settings.AWS_SECRET_ACCESS_KEY = CREDENTIALS["AWS_SECRET_ACCESS_KEY"]
    settings.AWS_S3_REGION_NAME = CREDENTIALS["AWS_S3_REGION_NAME"]
    settings.AWS_S3_TRANSFER_CONFIG = TransferConfig(
        multipart_threshold=settings.AWS_S3_MULTIPART_CHUNK_BYTES,
        multipart_chunksize=settings.AWS_S3_MULTIPART_CHUNK_BYTES,
    )
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "storages.backends.s3.S3Storage"}}


@pytest.fixture
def s3_storage(settings, s3_server):
    """The default storage is a fresh bucket on the loopback S3; yields the bucket's name."""
    bucket = s3_server.new_bucket()
    use_s3(settings, s3_server, bucket)
    yield bucket
