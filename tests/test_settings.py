import json
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


def settings_output(expression: str, *, drop: tuple[str, ...] = (), **env_overrides) -> str:
    """str(expression) evaluated on `s` (the settings) in a fresh process with this environment
    (less the variables starting with `drop`), or the error it printed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(env_overrides)
    code = f"from django.conf import settings as s; import django; django.setup(); print({expression})"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "seedance_site.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result.stdout.strip() or result.stderr


def payment_settings(**env_overrides) -> str:
    return settings_output(
        "s.PAYMENTS_SANDBOX, s.PAYMENTS_ENABLED, s.STRIPE_API_BASE",
        drop=("STRIPE_", "SANDBOX_", "DEBUG", "SECRET_KEY"),
        **env_overrides,
    )


def test_with_s3_the_buckets_origin_may_serve_the_portals_video_and_images():
    directives = json.loads(
        settings_output(
            "__import__('json').dumps(s.CONTENT_SECURITY_POLICY['DIRECTIVES'])",
            AWS_STORAGE_BUCKET_NAME="results",
            AWS_S3_ENDPOINT_URL="https://s3.storage.example:9000/",
        ).splitlines()[-1]
    )
    assert "https://s3.storage.example:9000" in directives["media-src"]
    assert "https://s3.storage.example:9000" in directives["img-src"]
    assert directives["script-src"] == ["'self'"]


def test_payments_use_the_payment_sandbox_while_the_sandbox_runs_and_stripe_with_a_key():
    assert payment_settings(SANDBOX_ENABLED="true").startswith(
        "True True http://127.0.0.1:8000/sandbox/stripe"
    )
    with_key = {"STRIPE_SECRET_KEY": "sk_live_x", "STRIPE_WEBHOOK_SECRET": "whsec_x"}
    assert payment_settings(SANDBOX_ENABLED="true", **with_key) == "False True https://api.stripe.com"


def test_without_a_stripe_key_or_the_sandbox_nothing_is_sold():
    assert payment_settings().startswith("False False")


def test_a_stripe_key_without_the_webhook_secret_refuses_to_start():
    assert "STRIPE_WEBHOOK_SECRET is not" in payment_settings(STRIPE_SECRET_KEY="sk_live_x")
