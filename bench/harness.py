"""What every benchmark shares: a fresh PostgreSQL database, gunicorn on loopback, wrk, the
product's worker processes, RSS sampling and percentiles. Nothing here asserts a timing."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench"


def configure(port: int) -> None:
    """Environment for this process and every server/worker it starts: production-like
    (DEBUG off), the sandbox on, loopback allowed for the result mirror, logs quiet."""
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ.setdefault("DEBUG", "False")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789")
    os.environ["SITE_URL"] = f"http://127.0.0.1:{port}"
    os.environ.setdefault("SANDBOX_ENABLED", "True")
    # The sandbox with DEBUG off is refused unless a deploy says so and keeps its key private.
    os.environ.setdefault("SANDBOX_ALLOW_PRODUCTION", "True")
    os.environ.setdefault("SANDBOX_API_KEY", "bench-sandbox-key-" + os.urandom(8).hex())
    # Plain HTTP on loopback: no TLS proxy in front, so no redirect to https.
    os.environ.setdefault("SECURE_SSL_REDIRECT", "False")
    os.environ.setdefault("OUTBOUND_ALLOWLIST", "127.0.0.1")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="seedance-bench-media-"))


def _admin_dsn(url: str) -> tuple[str, str]:
    """(DSN of the server's `postgres` database, the bench database's name)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres")), parts.path.lstrip("/")


def fresh_database() -> None:
    """Recreate the bench database from a migrated template: a clean start in about a second.

    The template (`<name>_template`) is migrated on every run, which is a no-op check when
    the migrations did not change.
    """
    import psycopg

    url = os.environ["DATABASE_URL"]
    admin, name = _admin_dsn(url)
    if name in ("", "postgres", "test") or not re.fullmatch(r"[a-z0-9_]+", name):
        raise SystemExit(f"Refusing to recreate database {name!r}: pick a bench-only name.")
    template = f"{name}_template"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{template}"')
    template_url = urlunsplit(urlsplit(url)._replace(path=f"/{template}"))
    env = {**os.environ, "DATABASE_URL": template_url}
    subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')


def create_schedules() -> None:
    """The periodic tasks a deploy creates (`manage.py schedules`), in the bench database."""
    subprocess.run([PYTHON, "manage.py", "schedules"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    access_log: Path | None

    def access_lines(self) -> list[str]:
        if self.access_log is None:
            return []
        return self.access_log.read_text(errors="replace").splitlines()


@contextmanager
def gunicorn(port: int, workers: int, access_log: bool = False):
    """gunicorn serving bench.wsgi (the product plus /bench/floor) on 127.0.0.1:`port`."""
    log_path = Path(tempfile.mkstemp(prefix="bench-access-", suffix=".log")[1]) if access_log else None
    command = [
        PYTHON, "-m", "gunicorn", "bench.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--worker-class", "sync",
        "--backlog", "2048", "--timeout", "120", "--log-level", "warning",
    ]  # fmt: skip
    if log_path is not None:
        command += ["--access-logfile", str(log_path)]
    process = subprocess.Popen(command, cwd=ROOT, start_new_session=True)
    server = Server(f"http://127.0.0.1:{port}", process, log_path)
    try:
        _wait_until_up(server)
        yield server
    finally:
        stop(process)
        if log_path is not None:
            log_path.unlink(missing_ok=True)


def _wait_until_up(server: Server, timeout: float = 90.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise SystemExit("gunicorn exited while starting; see its output above.")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer /healthz within {timeout:g} s.")


def start(command: list[str]) -> subprocess.Popen:
    """A manage.py process (worker, poller) in its own process group, so stop() ends all of it."""
    return subprocess.Popen([PYTHON, "manage.py", *command], cwd=ROOT, start_new_session=True)


def stop(process: subprocess.Popen, timeout: float = 15.0) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


# --- Load -------------------------------------------------------------------------------------


@dataclass
class LoadResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int  # non-2xx answers and socket errors


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * _UNITS[unit]


def wrk(
    url: str, *, body: str | None = None, headers: dict[str, str], connections: int, seconds: int
) -> LoadResult:
    """POST `body` (GET without one) to `url` on `connections` connections for `seconds` (wrk)."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed for the load benchmarks: apt-get install wrk")
    script = ["wrk.method = 'GET'"] if body is None else ["wrk.method = 'POST'", f"wrk.body = {_lua(body)}"]
    script += [f"wrk.headers[{_lua(k)}] = {_lua(v)}" for k, v in headers.items()]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write("\n".join(script) + "\n")
    try:
        out = subprocess.run(
            ["wrk", "--latency", "-t", str(min(connections, 2)), "-c", str(connections),
             "-d", f"{seconds}s", "--timeout", "10s", "-s", f.name, url],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    finally:
        os.unlink(f.name)
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.MULTILINE))
    if set(percentiles) != {"50", "99"}:
        raise SystemExit(f"Could not read wrk's output:\n{out}")
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    errors += sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    return LoadResult(
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        p50_ms=_ms(percentiles["50"]),
        p99_ms=_ms(percentiles["99"]),
        requests=requests,
        errors=errors,
    )


def _lua(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def median(values) -> float:
    return statistics.median(values)


# --- Memory -----------------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    ps = ["ps", "-o", "pid=", "--ppid", str(pid)]
    out = subprocess.run(ps, capture_output=True, text=True, check=False).stdout
    return [int(p) for p in out.split()]


def rss_mb(pid: int, field: str = "Rss") -> float:
    """Resident memory of one process in MB (0 if it is gone). field="Pss" shares each page
    among the processes that map it, so a forked tree's Pss values add up to its real use."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0.0
    match = re.search(rf"^{field}:\s+(\d+) kB", rollup, re.MULTILINE)
    return int(match.group(1)) / 1024 if match else 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far, in seconds (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process and its children (gunicorn's master and workers) so far."""
    pids = [pid]
    for child in pids:  # grows while iterating: the whole tree
        pids.extend(_children(child))
    return sum(cpu_seconds(p) for p in pids)


def postgres_cpu_seconds() -> float:
    """CPU time of every PostgreSQL process on this host so far (the server is local)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    total += cpu_seconds(int(entry.name))
            except OSError:
                continue
    return total


class RssSampler(threading.Thread):
    """Samples a process tree every `interval` s: the largest single process's RSS and the whole
    tree's PSS (forked workers share pages, so their RSS values would count them twice), the
    peak of each, and both at each `mark()` (progress points)."""

    def __init__(self, pid: int, interval: float = 0.5):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_process = self.peak_tree = 0.0
        self.marks: list[tuple[str, float, float]] = []
        self._halt = threading.Event()

    def sample(self) -> tuple[float, float]:
        pids = [self.pid]
        for pid in pids:  # grows while iterating: the whole tree
            pids.extend(_children(pid))
        return max((rss_mb(pid) for pid in pids), default=0.0), sum(rss_mb(pid, "Pss") for pid in pids)

    def run(self):
        while not self._halt.is_set():
            largest, tree = self.sample()
            self.peak_process = max(self.peak_process, largest)
            self.peak_tree = max(self.peak_tree, tree)
            self._halt.wait(self.interval)

    def mark(self, label: str) -> None:
        self.marks.append((label, *self.sample()))

    def stop(self) -> None:
        self._halt.set()
        self.join()


# --- Data -------------------------------------------------------------------------------------


def make_tenant(name: str, credits: int, **fields):
    """A tenant with `credits` granted through billing and one API key: (tenant, secret)."""
    from accounts.models import ApiKey, Tenant
    from billing.services import grant

    tenant = Tenant.objects.create(name=name, slug=Tenant.unique_slug(name), **fields)
    grant(tenant, credits, note="benchmark funds")
    _, secret = ApiKey.issue(tenant, f"{name} key")
    return tenant, secret
