"""Callback tokens (and hosted-image tokens) out of every log line.

A provider callback URL, /callbacks/<provider>/<token>/, carries the only credential of that
callback: whoever reads it can post to it. A hosted image URL, /files/<token>, is likewise
readable by whoever has it, until it expires (generations.files). Access logs (runserver's `django.server`, gunicorn's
access log) and Django's request warnings write request paths, so the token is replaced by
`[token]` wherever a path appears:

- `RedactCallbackTokens`, a logging filter on the handlers in settings.LOGGING (every logger
  that reaches them, `django.server` and `django.request` included);
- `GunicornLogger`, gunicorn's logger with every access-log atom redacted: set
  `logger_class = "seedance_site.log_redaction.GunicornLogger"` in the gunicorn config.
"""

from __future__ import annotations

import logging
import re

from gunicorn.glogging import Logger as _GunicornLogger

_CALLBACK_TOKEN = re.compile(r"(/callbacks/[^/\s?#]+/|/files/)[^/\s?#\"']+")


def redact(text: str) -> str:
    return _CALLBACK_TOKEN.sub(r"\1[token]", text)


class RedactCallbackTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


class GunicornLogger(_GunicornLogger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()}
