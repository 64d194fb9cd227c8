"""deploy/run is what every process is started with; these are the cheap parts of it (the
production smoke test, .ci/production_smoke.py, runs all four commands for real)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "deploy" / "run"


def production_env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        PYTHON=sys.executable,
        DEBUG="0",
        SECRET_KEY="x" * 60,
        ALLOWED_HOSTS="127.0.0.1",
        STATIC_ROOT=str(tmp_path / "static"),
        SANDBOX_ENABLED="False",
        MEDIA_ROOT=str(tmp_path / "media"),
        **extra,
    )
    return env


def test_an_unknown_command_prints_the_usage():
    result = subprocess.run([str(RUN), "serve"], capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 64
    assert "usage: deploy/run {release|web|worker|poller}" in result.stderr


def test_web_without_collected_static_files_refuses_to_start_and_says_why(tmp_path):
    result = subprocess.run(
        [str(RUN), "web"],
        env=production_env(tmp_path, PORT="0"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "Static files are not collected" in result.stderr
    assert "deploy/run release" in result.stderr
