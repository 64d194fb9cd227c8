"""Production smoke test: the documented install and processes, on two hosts, for real.

Run by .ci/run (with the development virtualenv's Python, which has moto for the S3 server):

1. install the project without dev extras into a fresh virtualenv (`make install-production`);
2. lay out two "hosts", each its own copy of the checkout (own STATIC_ROOT) and media folder,
   sharing nothing but a fresh PostgreSQL database, a Redis of its own and a loopback S3
   (moto's server mode);
3. `deploy/run release` on each host, then `deploy/run web|worker|poller` on each, DEBUG=0;
4. wait for /readyz on both; create jobs through the API on both hosts; wait until they
   succeeded and their videos are mirrored; download every video through the *other* host
   (a presigned redirect to S3, followed); check the books (`reconcile_credits`, the balance);
   check the media folders stayed empty, /metrics, and that one job's log lines name it;
5. `manage.py check --deploy` with the documented production settings: no issues at all.

The hosts run over plain loopback HTTP (the sandbox provider is reached that way), so they run
with SECURE_SSL_REDIRECT off and requests carry X-Forwarded-Proto: https as nginx would add;
step 5 checks the full documented settings, SSL redirect included.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
import httpx

ROOT = Path(__file__).resolve().parent.parent
JOBS_PER_HOST = 2
TIMEOUT = 240
failures: list[str] = []
passed = 0


def log(message: str) -> None:
    print(f"[smoke] {message}", flush=True)


def check(condition: bool, message: str) -> None:
    global passed
    if condition:
        passed += 1
        log(f"ok: {message}")
    else:
        failures.append(message)
        log(f"FAILED: {message}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(what: str, predicate, timeout: float = TIMEOUT, interval: float = 1.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except (httpx.HTTPError, OSError) as exc:
            last = exc
        time.sleep(interval)
    raise RuntimeError(f"timed out waiting for {what} (last: {last!r})")


class Processes:
    def __init__(self):
        self.running: list[tuple[str, subprocess.Popen, Path]] = []

    def start(self, name: str, command: list[str], env: dict, cwd: Path, logs: Path) -> subprocess.Popen:
        out = open(logs / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        self.running.append((name, process, logs / f"{name}.log"))
        return process

    def stop_all(self) -> None:
        for _, process, _ in reversed(self.running):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for name, process, _ in reversed(self.running):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                log(f"{name} did not stop in 30 s; killing it")
                process.kill()

    def dump(self) -> None:
        for name, _, path in self.running:
            text = path.read_text(errors="replace") if path.exists() else ""
            print(f"----- {name} (last lines)\n" + "\n".join(text.splitlines()[-25:]), flush=True)


def run(command: list[str], env: dict, cwd: Path) -> subprocess.CompletedProcess:
    result = subprocess.run(
        command, env=env, cwd=cwd, capture_output=True, text=True, timeout=600, check=False
    )
    if result.returncode != 0:
        print(result.stdout[-3000:], result.stderr[-3000:], flush=True)
        raise RuntimeError(f"{' '.join(command)} exited {result.returncode}")
    return result


def copy_checkout(destination: Path) -> None:
    """The tracked files only, as a clean clone or an image would have them."""
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    for name in filter(None, files.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="seedance-smoke-"))
    processes = Processes()
    database = f"smoke_{int(time.time())}_{os.getpid()}"
    psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc"]
    try:
        log(f"working in {work}")
        venv = work / "venv"
        log("installing without dev extras: make install-production")
        run(["make", "install-production", f"VENV={venv}"], dict(os.environ), ROOT)
        installed = run([str(venv / "bin" / "python"), "-m", "pip", "freeze"], dict(os.environ), ROOT).stdout
        check(
            "pytest" not in installed.lower() and "ruff" not in installed.lower(),
            "the production virtualenv has no dev tools",
        )

        # Shared services: PostgreSQL database, a Redis of our own, loopback S3.
        subprocess.run([*psql, f"CREATE DATABASE {database}"], check=True)
        redis_port, s3_port = free_port(), free_port()
        processes.start(
            "redis",
            [
                "redis-server",
                "--port",
                str(redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            dict(os.environ),
            work,
            work,
        )
        processes.start(
            "s3",
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(s3_port)],
            dict(os.environ),
            work,
            work,
        )
        s3_endpoint = f"http://127.0.0.1:{s3_port}"
        wait_for("the S3 server", lambda: httpx.get(s3_endpoint, timeout=2))
        s3 = boto3.client(
            "s3",
            endpoint_url=s3_endpoint,
            aws_access_key_id="smoke",
            aws_secret_access_key="smoke-secret",
            region_name="us-east-1",
        )
        s3.create_bucket(Bucket="smoke-results")

        secret_key = secrets.token_urlsafe(50)
        metrics_token = secrets.token_urlsafe(16)
        base = {
            "PATH": os.environ["PATH"],
            "HOME": os.environ.get("HOME", str(work)),
            "LANG": "C.UTF-8",
            "VIRTUAL_ENV": str(venv),
            "DEBUG": "False",
            "SECRET_KEY": secret_key,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
            "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "AWS_STORAGE_BUCKET_NAME": "smoke-results",
            "AWS_S3_ENDPOINT_URL": s3_endpoint,
            "AWS_ACCESS_KEY_ID": "smoke",
            "AWS_SECRET_ACCESS_KEY": "smoke-secret",
            "AWS_S3_REGION_NAME": "us-east-1",
            "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
            "METRICS_TOKEN": metrics_token,
            # The sandbox emulates the providers, on each host's own loopback address.
            "SANDBOX_ENABLED": "True",
            "SANDBOX_ALLOW_PRODUCTION": "True",
            "SANDBOX_API_KEY": secrets.token_urlsafe(24),
            "SANDBOX_DELAY_SECONDS": "1",
            "OUTBOUND_ALLOWLIST": "127.0.0.1",
            "GENERATION_POLL_MIN_SECONDS": "1",
            "GENERATION_POLL_MAX_SECONDS": "2",
            "GENERATION_FIRST_POLL_WITH_CALLBACK_SECONDS": "2",
            "Q_WORKERS": "1",
            "WEB_CONCURRENCY": "1",
            "GUNICORN_THREADS": "4",
            "HEARTBEAT_INTERVAL_SECONDS": "2",
        }
        hosts = {}
        for name in ("a", "b"):
            home = work / f"host-{name}"
            app, media = home / "app", home / "media"
            copy_checkout(app)
            media.mkdir(parents=True)
            port = free_port()
            env = {
                **base,
                "PORT": str(port),
                "HOST": "127.0.0.1",
                "SITE_URL": f"http://127.0.0.1:{port}",
                "MEDIA_ROOT": str(media),
                "PROMETHEUS_MULTIPROC_DIR": str(home / "metrics"),
                # Plain HTTP on loopback (see the module docstring).
                "SECURE_SSL_REDIRECT": "False",
            }
            hosts[name] = {"app": app, "media": media, "port": port, "env": env, "logs": home}

        for name, host in hosts.items():
            log(f"host {name}: deploy/run release")
            run([str(host["app"] / "deploy" / "run"), "release"], host["env"], host["app"])
            check(
                (host["app"] / "staticfiles" / "staticfiles.json").exists(),
                f"host {name}: static files collected",
            )
        for name, host in hosts.items():
            for role in ("web", "worker", "poller"):
                processes.start(
                    f"{name}-{role}",
                    [str(host["app"] / "deploy" / "run"), role],
                    host["env"],
                    host["app"],
                    host["logs"],
                )

        clients = {
            name: httpx.Client(
                base_url=f"http://127.0.0.1:{host['port']}",
                headers={"X-Forwarded-Proto": "https"},
                timeout=30,
            )
            for name, host in hosts.items()
        }
        for name, client in clients.items():
            body = wait_for(
                f"host {name} /readyz",
                lambda c=client: c.get("/readyz").status_code == 200 and c.get("/readyz").json(),
            )
            check(
                body["status"] == "ok", f"host {name}: /readyz is 200 with every part well: {body['checks']}"
            )

        # A tenant with credits and an API key (any host: the database is shared).
        host_a = hosts["a"]
        python = str(venv / "bin" / "python")
        run(
            [
                python,
                "manage.py",
                "create_tenant",
                "Smoke Films",
                "--owner",
                "smoke@example.org",
                "--credits",
                "1000",
            ],
            host_a["env"],
            host_a["app"],
        )
        key = (
            run(
                [python, "manage.py", "create_api_key", "smoke-films", "--name", "smoke"],
                host_a["env"],
                host_a["app"],
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        auth = {"Authorization": f"Bearer {key}"}

        jobs: dict[str, str] = {}
        for name, client in clients.items():
            for n in range(JOBS_PER_HOST):
                response = client.post(
                    "/api/v1/generations",
                    headers={**auth, "X-Request-ID": f"smoke-{name}-{n}"},
                    json={
                        "prompt": f"Smoke test clip {n} from host {name}",
                        "duration": 4,
                        "provider": "sandbox",
                    },
                )
                check(
                    response.status_code in (201, 202),
                    f"host {name}: job {n} created ({response.status_code})",
                )
                check(
                    response.headers.get("X-Request-ID") == f"smoke-{name}-{n}",
                    f"host {name}: X-Request-ID echoed",
                )
                jobs[response.json()["id"]] = name

        def all_mirrored():
            done = {}
            for generation_id in jobs:
                body = clients["a"].get(f"/api/v1/generations/{generation_id}", headers=auth).json()
                if body["status"] in ("failed", "cancelled", "expired", "rejected"):
                    raise RuntimeError(f"{generation_id} ended {body['status']}: {body}")
                if body["status"] != "succeeded":
                    return None
                answer = clients["a"].get(f"/api/v1/generations/{generation_id}/video", headers=auth)
                if answer.status_code == 409:
                    return None  # still being copied
                done[generation_id] = body
            return done

        finished = wait_for("every job to succeed and be mirrored", all_mirrored, interval=2)
        check(len(finished) == len(jobs), f"all {len(jobs)} jobs succeeded on the two hosts")

        for generation_id, created_on in jobs.items():
            other = "b" if created_on == "a" else "a"
            answer = clients[other].get(f"/api/v1/generations/{generation_id}/video", headers=auth)
            check(
                answer.status_code == 302,
                f"{generation_id}: download via host {other} redirects ({answer.status_code})",
            )
            location = answer.headers.get("Location", "")
            check(
                location.startswith(s3_endpoint) and "X-Amz-Signature" in location,
                f"{generation_id}: to a presigned S3 URL",
            )
            video = httpx.get(location, timeout=30)
            check(
                video.status_code == 200 and video.content[4:8] == b"ftyp",
                f"{generation_id}: the video downloads from S3",
            )

        for name, host in hosts.items():
            stored = [p for p in host["media"].rglob("*") if p.is_file()]
            check(stored == [], f"host {name}: nothing stored on the host's disk ({len(stored)} files)")

        # The books: reconcile every tenant, and the balance is what was charged.
        result = run([python, "manage.py", "reconcile_credits"], host_a["env"], host_a["app"])
        check("All tenants' books agree." in result.stdout, "reconcile_credits: the books agree")
        balance = clients["b"].get("/api/v1/balance", headers=auth).json()
        charged = sum(body["cost"]["charged"] for body in finished.values())
        check(charged > 0 and balance["held"] == 0, f"no credits left held, {charged} charged: {balance}")
        check(balance["balance"] == 1000 - charged, f"balance is 1000 - {charged}: {balance}")

        metrics = clients["b"].get("/metrics", headers={"Authorization": f"Bearer {metrics_token}"})
        check(
            metrics.status_code == 200 and "seedance_generations_finished_last_hour" in metrics.text,
            "/metrics with the token",
        )
        check(clients["b"].get("/metrics").status_code == 401, "/metrics without the token is refused")

        # One job's lines in the JSON logs of the host that ran it carry its id.
        some_job, host_name = next(iter(jobs.items()))
        lines = []
        for role in ("web", "worker", "poller"):
            for line in (
                (hosts[host_name]["logs"] / f"{host_name}-{role}.log")
                .read_text(errors="replace")
                .splitlines()
            ):
                if line.startswith("{"):
                    record = json.loads(line)
                    if record.get("generation_id") == some_job:
                        lines.append(record)
        check(len(lines) >= 3, f"{some_job}: {len(lines)} JSON log lines carry its generation id")

        # check --deploy with the documented production settings (SSL redirect on): no issues.
        documented = {**host_a["env"]}
        documented.pop("SECURE_SSL_REDIRECT")
        documented.update(
            ALLOWED_HOSTS="studio.example.com", SITE_URL="https://studio.example.com", SANDBOX_ENABLED="False"
        )
        deploy_check = subprocess.run(
            [python, "manage.py", "check", "--deploy"],
            env=documented,
            cwd=host_a["app"],
            capture_output=True,
            text=True,
            check=False,
        )
        check(
            deploy_check.returncode == 0
            and "System check identified no issues" in deploy_check.stdout + deploy_check.stderr,
            f"check --deploy: {(deploy_check.stdout + deploy_check.stderr).strip()[-500:]}",
        )
    except Exception as exc:  # noqa: BLE001 - reported as a failure with the processes' logs
        failures.append(f"{type(exc).__name__}: {exc}")
        log(f"FAILED: {type(exc).__name__}: {exc}")
    finally:
        if failures:
            processes.dump()
        processes.stop_all()
        subprocess.run([*psql, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"], check=False)
        shutil.rmtree(work, ignore_errors=True)
    print(f"smoke: {passed} passed, {len(failures)} failed", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
