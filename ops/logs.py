"""Log context: the request id, and the generation and tenant a line is about.

Each line gets `request_id`, `generation_id` and `tenant_id` from context variables, so code that
logs does not pass them around:

- RequestIdMiddleware takes X-Request-ID from the request (or makes one), binds it for the
  request and returns it on the response;
- `bind(generation_id=..., tenant_id=...)` binds a job for a block of code;
- django-q2 signals carry the context from the code that enqueues a task into the worker that
  runs it, name each task after what it does and its generation, and log its start and end.

An explicit `extra={"generation_id": ...}` on a log call wins over the bound value.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterator

from seedance_site.log_redaction import redact

FIELDS = ("request_id", "generation_id", "tenant_id")
_context: dict[str, contextvars.ContextVar] = {
    name: contextvars.ContextVar(name, default=None) for name in FIELDS
}
# Accepted request ids: what load balancers and clients send (UUIDs, hex, dashes, dots).
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

log = logging.getLogger("ops.tasks")
access = logging.getLogger("ops.access")


def current() -> dict[str, object]:
    """The bound context, without the unset fields."""
    return {name: var.get() for name, var in _context.items() if var.get() is not None}


@contextlib.contextmanager
def bind(**values) -> Iterator[None]:
    """Bind request_id / generation_id / tenant_id for the block (None values are skipped)."""
    tokens = [
        (_context[name], _context[name].set(value)) for name, value in values.items() if value is not None
    ]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


class ContextFilter(logging.Filter):
    """Adds the bound context to every record (explicit extras win)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name in FIELDS:
            if getattr(record, name, None) is None:
                setattr(record, name, _context[name].get())
        return True


class PlainFormatter(logging.Formatter):
    """Development format: the line, then whatever context is set."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = " ".join(f"{name}={value}" for name in FIELDS if (value := getattr(record, name, None)))
        return f"{line} [{context}]" if context else line


class RequestIdMiddleware:
    """Binds the request's X-Request-ID (a new one when absent or malformed), echoes it on the
    response, and logs one line per request (the access log)."""

    header = "X-Request-ID"
    # Probes and scrapes are logged at DEBUG only.
    quiet_paths = frozenset({"/healthz", "/readyz", "/metrics"})

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get(self.header, "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        started = time.monotonic()
        # Every field is set (and reset) here, so process_view may bind the generation.
        tokens = [
            (var, var.set(request_id if name == "request_id" else None)) for name, var in _context.items()
        ]
        try:
            response = self.get_response(request)
            response[self.header] = request_id
            path = redact(request.path)  # a callback URL's token is a credential
            access.log(
                logging.DEBUG if request.path in self.quiet_paths else logging.INFO,
                "%s %s %s",
                request.method,
                path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": path,
                    "status": response.status_code,
                    "duration_ms": round((time.monotonic() - started) * 1000, 1),
                },
            )
        finally:
            for var, token in reversed(tokens):
                var.reset(token)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        """A URL about one generation (/api/v1/generations/<id>, /results/<id>/...) names it."""
        if generation_id := view_kwargs.get("generation_id"):
            _context["generation_id"].set(str(generation_id))


# --- django-q2 tasks ------------------------------------------------------------------------------

# func path -> (short verb for the task name, resolver(args) -> {"generation_id", "tenant_id"}).
_TASKS: dict[str, tuple[str, Callable[[tuple], dict] | None]] = {}


def register_task(func: str, verb: str, resolve: Callable[[tuple], dict] | None = None) -> None:
    """Name `func`'s tasks "<verb>-<generation id>" and bind what `resolve(args)` returns while
    it runs. Apps register their tasks in AppConfig.ready()."""
    _TASKS[func] = (verb, resolve)


def _func_path(func) -> str:
    return func if isinstance(func, str) else f"{func.__module__}.{func.__qualname__}"


def _resolve(task: dict) -> dict:
    resolve = _TASKS.get(_func_path(task["func"]), (None, None))[1]
    if resolve is None:
        return {}
    try:
        return {key: value for key, value in resolve(tuple(task.get("args") or ())).items() if value}
    except Exception:  # noqa: BLE001 - a missing row must not stop the task itself
        return {}


def on_pre_enqueue(sender, task: dict, **kwargs) -> None:
    """Name the task after what it does and its generation; carry the caller's context along."""
    verb = _TASKS.get(_func_path(task["func"]), (None, None))[0]
    context = {**current(), **_resolve(task)}
    generation_id = context.get("generation_id")
    if verb and generation_id and generation_id not in (task.get("name") or ""):
        args = task.get("args") or ()
        subject = args[0] if args else None
        if subject is not None and subject != generation_id:
            task["name"] = f"{verb}-{generation_id}-{subject}"
        else:
            task["name"] = f"{verb}-{generation_id}"
    task["log_context"] = context


def on_pre_execute(sender, func, task: dict, **kwargs) -> None:
    context = task.get("log_context") or {}
    if not context.get("generation_id"):
        context = {**context, **_resolve(task)}
    # Each task runs with its own context, restored afterwards (tasks run inline in sync mode).
    task["_log_tokens"] = [(var, var.set(context.get(name))) for name, var in _context.items()]
    task["_log_started"] = time.monotonic()
    log.info("task %s started", task.get("name"), extra={"task": task.get("name")})


def on_post_execute(sender, func, task: dict, **kwargs) -> None:
    elapsed = time.monotonic() - task.pop("_log_started", time.monotonic())
    outcome = "succeeded" if task.get("success") else "failed"
    result = task.get("result")
    log.log(
        logging.INFO if task.get("success") else logging.ERROR,
        "task %s %s in %.3f s: %s",
        task.get("name"),
        outcome,
        elapsed,
        str(result)[:300],
        extra={"task": task.get("name"), "task_outcome": outcome, "duration_s": round(elapsed, 3)},
    )
    for var, token in reversed(task.pop("_log_tokens", [])):
        var.reset(token)
