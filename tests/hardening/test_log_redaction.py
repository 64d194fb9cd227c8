"""Callback tokens (the only credential of provider callbacks) never reach a log line."""

import io
import logging
import logging.config
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.conf import settings

TOKEN = "Zq3vQyN7b2Lr8pXk1sT4uW6yA9cE0gHj"
PATH = f"/callbacks/kie/{TOKEN}/"


@pytest.fixture
def captured():
    """The project's LOGGING, with its stdout handler writing to a buffer."""
    buffer = io.StringIO()
    config = {**settings.LOGGING, "handlers": {k: dict(v) for k, v in settings.LOGGING["handlers"].items()}}
    for handler in config["handlers"].values():
        handler.pop("stream", None)
        handler["class"] = "logging.StreamHandler"
    logging.config.dictConfig(config)
    for handler in logging.getLogger().handlers:
        handler.setStream(buffer)
    yield buffer
    logging.config.dictConfig(settings.LOGGING)


def test_the_development_servers_access_line_is_redacted(captured):
    # django.core.servers.basehttp.WSGIRequestHandler.log_message logs exactly this way.
    logging.getLogger("django.server").info('"%s" %s %s', f"POST {PATH} HTTP/1.1", "200", "11")
    assert TOKEN not in captured.getvalue()
    assert "/callbacks/kie/[token]/" in captured.getvalue()


def test_djangos_request_warnings_are_redacted(client, db, captured):
    client.post(f"/callbacks/kie/{TOKEN}/", b"{}", content_type="application/json")  # unknown: 404
    assert "/callbacks/kie/" in captured.getvalue()
    assert TOKEN not in captured.getvalue()


def test_the_gunicorn_access_log_is_redacted():
    from gunicorn.config import Config

    from seedance_site.log_redaction import GunicornLogger

    config = Config()
    config.set("accesslog", "-")
    logger = GunicornLogger(config)
    stream = io.StringIO()
    logger.access_log.handlers = [logging.StreamHandler(stream)]
    request = SimpleNamespace(method="POST", path=PATH, query="", uri=PATH, version=(1, 1), headers=[])
    response = SimpleNamespace(status="200 OK", sent=11, headers=[], response_length=11)
    environ = {"RAW_URI": PATH, "PATH_INFO": PATH, "QUERY_STRING": "", "REMOTE_ADDR": "10.0.0.9",
               "REQUEST_METHOD": "POST", "SERVER_PROTOCOL": "HTTP/1.1"}  # fmt: skip
    logger.access(response, request, environ, timedelta(milliseconds=3))
    assert stream.getvalue()
    assert TOKEN not in stream.getvalue()


def test_a_hosted_image_token_is_redacted_too(client, db, captured):
    client.get(f"/files/{TOKEN}")  # a forged token: 404, logged as a request warning
    logging.getLogger("django.server").info('"%s" %s %s', f"GET /files/{TOKEN} HTTP/1.1", "200", "11")
    assert "/files/[token]" in captured.getvalue()
    assert TOKEN not in captured.getvalue()
