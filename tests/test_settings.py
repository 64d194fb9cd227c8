import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_check(**env_overrides):
    # The suite itself runs with the sandbox on (tests/settings.py): start from a plain environment.
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG") and "SANDBOX" not in k}
    env["DJANGO_SETTINGS_MODULE"] = "seedance_site.settings"
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_mode_without_a_secret_key_refuses_to_start():
    result = run_check(DEBUG="False", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_mode_with_a_secret_key_starts():
    result = run_check(DEBUG="False", SECRET_KEY="x" * 50, ALLOWED_HOSTS="example.org")
    assert result.returncode == 0, result.stderr


def test_the_sandbox_is_off_unless_asked_for():
    env = {k: v for k, v in os.environ.items() if k != "SANDBOX_ENABLED"}
    code = "from django.conf import settings; import django; django.setup(); print(settings.SANDBOX_ENABLED)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "seedance_site.settings", "DEBUG": "True"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.strip() == "False", result.stderr


def test_production_mode_refuses_the_sandbox():
    result = run_check(DEBUG="False", SECRET_KEY="x" * 50, ALLOWED_HOSTS="example.org", SANDBOX_ENABLED="1")
    assert result.returncode != 0
    assert "SANDBOX_ALLOW_PRODUCTION" in result.stderr


def test_production_mode_allows_the_sandbox_when_told_but_not_with_the_public_key():
    env = {"DEBUG": "False", "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "example.org", "SANDBOX_ENABLED": "1"}
    result = run_check(**env, SANDBOX_ALLOW_PRODUCTION="1", SANDBOX_API_KEY="")
    assert result.returncode != 0
    assert "SANDBOX_API_KEY" in result.stderr
    result = run_check(**env, SANDBOX_ALLOW_PRODUCTION="1", SANDBOX_API_KEY="a-private-load-test-key")
    assert result.returncode == 0, result.stderr
