"""Production security settings: secrets never cached, and `check --deploy` clean with the
documented production environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_the_page_showing_a_new_api_key_is_not_cacheable(client, alice, tenant):
    client.force_login(alice)
    page = client.get("/keys/")
    assert "no-store" not in page.get("Cache-Control", "")
    response = client.post("/keys/", {"name": "ci server", "form_token": page.context["form_token"]})
    assert response.status_code == 200 and response.context["secret"]
    assert "no-store" in response["Cache-Control"]


def test_api_answers_carrying_the_webhook_secret_are_not_cacheable(api_client, dns):
    first = api_client.put("/api/v1/webhook", {"url": "https://hooks.customer.example/in"}, format="json")
    assert first.status_code == 200 and first.json()["secret"]
    assert "no-store" in first["Cache-Control"]
    again = api_client.get("/api/v1/webhook")
    assert "secret" not in again.json() and "no-store" not in again.get("Cache-Control", "")
    rotated = api_client.post("/api/v1/webhook/rotate")
    assert rotated.json()["secret"] and "no-store" in rotated["Cache-Control"]


def test_check_deploy_is_clean_with_the_documented_production_settings(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        DEBUG="False",
        SECRET_KEY="k3y-" + "x7Qz9" * 12,
        ALLOWED_HOSTS="studio.example.com",
        SITE_URL="https://studio.example.com",
        SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto",
        STATIC_ROOT=str(tmp_path / "static"),
        SANDBOX_ENABLED="False",
    )

    def manage(*args):
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    before = manage("check", "--deploy")
    assert before.returncode != 0 and "Static files are not collected" in before.stderr
    assert manage("collectstatic", "--noinput", "-v0").returncode == 0
    after = manage("check", "--deploy")
    assert after.returncode == 0, after.stderr
    assert "System check identified no issues (0 silenced)." in after.stdout
