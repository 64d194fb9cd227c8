""" "Copy as code" runs as shown: the curl copied from the form, and the Python and JavaScript of a
job's page, each create a generation through the real API on the live server."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from accounts.models import Role
from billing.services import grant
from generations.models import Generation
from tests.browser.checks import log_in
from tests.factories import make_api_key, make_generation, make_tenant, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def team():
    owner = make_user("rita@example.org")
    tenant = make_tenant("Rita Motion", owner=owner)
    grant(tenant, 1000, note="test funds")
    _key, secret = make_api_key(tenant, "laptop", created_by=owner)
    return tenant, secret


def run(command: list[str], secret: str) -> dict:
    env = {**os.environ, "SEEDANCE_API_KEY": secret}
    out = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60, check=True)
    return json.loads(out.stdout) if out.stdout.strip().startswith("{") else {"raw": out.stdout}


def test_the_copied_curl_of_the_form_creates_that_job(tab, team):
    tenant, secret = team
    tab.context.grant_permissions(["clipboard-read", "clipboard-write"])
    log_in(tab, "rita@example.org")
    tab.goto("/generations/new/")
    tab.get_by_label("Prompt").fill("A glass whale swims through clouds, it's dawn")
    tab.get_by_label("Provider").select_option("sandbox")
    tab.get_by_label("Resolution").select_option("480p")
    tab.wait_for_function("() => document.querySelector('#code-curl').textContent.includes('480p')")
    tab.get_by_role("button", name="Copy curl").click()
    command = tab.evaluate("navigator.clipboard.readText()")
    assert command.startswith("curl ") and "$SEEDANCE_API_KEY" in command

    created = run(["bash", "-c", command], secret)
    generation = Generation.objects.get(pk=created["id"])
    assert (generation.tenant, generation.prompt, generation.resolution, generation.provider) == (
        tenant,
        "A glass whale swims through clouds, it's dawn",
        "480p",
        "sandbox",
    )
    assert generation.created_by_key.name == "laptop"


def test_a_jobs_python_and_javascript_create_the_same_job_again(tab, team):
    tenant, secret = team
    original = make_generation(
        tenant,
        prompt="Lanterns rise over a river at night",
        provider="sandbox",
        requested_provider="sandbox",
        resolution="1080p",
        duration=5,
        seed=42,
        created_by_user=tenant.memberships.get(role=Role.OWNER).user,
    )
    log_in(tab, "rita@example.org")
    tab.goto(f"/generations/{original.id}/")
    assert tab.get_by_role("link", name="API docs").first.get_attribute("href") == "/api/docs/"
    python = tab.locator("#code-python").text_content()
    created = run([sys.executable, "-c", python], secret)
    again = Generation.objects.get(pk=created["id"])
    assert (again.prompt, again.resolution, again.duration, again.seed) == (original.prompt, "1080p", 5, 42)

    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed")
    javascript = tab.locator("#code-javascript").text_content()
    run([node, "-e", javascript], secret)
    assert Generation.objects.filter(tenant=tenant, prompt=original.prompt).count() == 3
