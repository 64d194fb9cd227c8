"""Re-run and re-run with a new seed: one POST makes a new job with the same spec through the
create service (its price held once), or the same spec with a fresh seed; viewers cannot,
another team's job is a 404, and a refusal says why and creates nothing."""

from __future__ import annotations

from dataclasses import replace

import pytest

from accounts.models import Tenant
from billing.services import balance
from generations.models import Generation, Status
from tests.factories import fund, make_generation

pytestmark = pytest.mark.django_db

SPEC = {
    "prompt": "A lighthouse in a storm, waves breaking",
    "provider": "sandbox",
    "requested_provider": "sandbox",
    "aspect_ratio": "9:16",
    "resolution": "480p",
    "duration": 5,
    "generate_audio": False,
    "camera_fixed": True,
    "watermark": True,
    "seed": 1234,
}


@pytest.fixture
def source(tenant):
    fund(tenant, 500)
    return make_generation(tenant, status=Status.SUCCEEDED, **SPEC)


def newest(tenant) -> Generation:
    return Generation.objects.filter(tenant=tenant).order_by("-created_at", "-id").first()


def test_rerun_makes_a_job_with_the_same_spec_and_holds_its_price_once(as_bob, bob, tenant, source):
    before = balance(tenant)
    response = as_bob.post(f"/generations/{source.id}/rerun/")

    job = newest(tenant)
    assert job.pk != source.pk
    assert response.status_code == 302 and response["Location"] == f"/generations/{job.id}/"
    assert job.spec == source.spec and job.requested_provider == "sandbox"
    assert (job.status, job.created_by_user, job.hold_state) == (Status.PENDING, bob, "held")
    after = balance(tenant)
    assert job.held > 0 and after.held == before.held + job.held
    assert after.available == before.available - job.held
    assert job.held == job.quoted  # the price of the same spec, held once


def test_rerun_with_a_new_seed_changes_only_the_seed(as_bob, tenant, source):
    as_bob.post(f"/generations/{source.id}/rerun/new-seed/")
    first = newest(tenant)
    as_bob.post(f"/generations/{source.id}/rerun/new-seed/")
    second = newest(tenant)

    for job in (first, second):
        assert job.seed is not None and job.seed != source.seed and 0 <= job.seed < 2**32
        assert job.spec == replace(source.spec, seed=job.seed)
    assert first.seed != second.seed


def test_a_job_without_a_seed_gets_one(as_bob, tenant):
    fund(tenant, 100)
    unseeded = make_generation(tenant, status=Status.FAILED, prompt="A paper boat on a puddle")
    as_bob.post(f"/generations/{unseeded.id}/rerun/new-seed/")
    assert isinstance(newest(tenant).seed, int)


def test_members_see_the_buttons_viewers_neither_see_nor_may_post(as_bob, as_vera, tenant, source):
    page = as_bob.get(f"/generations/{source.id}/").content.decode()
    assert f'action="/generations/{source.id}/rerun/"' in page
    assert f'action="/generations/{source.id}/rerun/new-seed/"' in page
    viewer_page = as_vera.get(f"/generations/{source.id}/").content.decode()
    assert "/rerun/" not in viewer_page and "Re-run" not in viewer_page

    # The gallery's cards carry the same two buttons.
    grid = as_bob.get("/generations/?view=grid").content.decode()
    assert f'action="/generations/{source.id}/rerun/new-seed/"' in grid
    assert "/rerun/" not in as_vera.get("/generations/?view=grid").content.decode()

    assert as_vera.post(f"/generations/{source.id}/rerun/").status_code == 403
    assert as_vera.post(f"/generations/{source.id}/rerun/new-seed/").status_code == 403
    assert Generation.objects.filter(tenant=tenant).count() == 1


def test_another_teams_job_is_a_404(as_charlie, other_tenant, tenant, source):
    fund(other_tenant, 500)
    assert as_charlie.post(f"/generations/{source.id}/rerun/").status_code == 404
    assert as_charlie.post(f"/generations/{source.id}/rerun/new-seed/").status_code == 404
    assert not Generation.objects.filter(tenant=other_tenant).exists()


def test_rerun_is_a_post(as_bob, source):
    assert as_bob.get(f"/generations/{source.id}/rerun/").status_code == 405


def test_not_enough_credits_says_so_and_creates_nothing(as_bob, tenant):
    job = make_generation(tenant, status=Status.SUCCEEDED, **SPEC)  # no credits at all
    response = as_bob.post(f"/generations/{job.id}/rerun/", follow=True)
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == f"/generations/{job.id}/"
    assert "Not enough credits to run this again" in page and "0 available" in page
    assert Generation.objects.filter(tenant=tenant).count() == 1


def test_a_suspended_team_is_told_and_nothing_is_created(as_bob, tenant, source):
    Tenant.objects.filter(pk=tenant.pk).update(suspended=True)
    page = as_bob.post(f"/generations/{source.id}/rerun/new-seed/", follow=True).content.decode()
    assert "is suspended: new generations are refused" in page
    assert Generation.objects.filter(tenant=tenant).count() == 1
    assert balance(tenant).held == 0
