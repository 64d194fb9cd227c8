"""What the portal says while a job waits and after it ends: states, errors, times, queue place."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Tenant, TenantSuspended
from generations import progress, texts
from generations.models import Generation, Status
from generations.templatetags.portal_text import ago
from tests.factories import fund, make_generation


@pytest.mark.parametrize(
    "seconds, words",
    [(0, "0 s"), (42.4, "42 s"), (60, "1 min"), (80, "1 min 20 s"), (725, "12 min"), (7500, "2 h 5 min")],
)
def test_durations_read_as_words(seconds, words):
    assert texts.seconds_text(seconds) == words


def test_recent_times_say_just_now_not_zero_minutes():
    now = timezone.now()
    assert ago(now - timedelta(seconds=20)) == "just now"
    assert ago(now - timedelta(minutes=5, seconds=3)) == "5\xa0minutes ago"
    assert ago(now - timedelta(days=3, hours=4)) == "3\xa0days ago"


def test_awaiting_review_says_so_and_not_rendering(as_bob, tenant):
    generation = make_generation(tenant, status=Status.AWAITING_REVIEW)
    page = as_bob.get(f"/generations/{generation.id}/").content.decode()
    assert "Held for review" in page and "Waiting for a moderator" in page
    assert "Rendering" not in page


def test_a_rejection_reason_is_shown_once_in_words(as_bob, tenant):
    generation = make_generation(
        tenant, status=Status.REJECTED, error_code="rejected", moderation_note="Real people are not allowed."
    )
    page = as_bob.get(f"/generations/{generation.id}/").content.decode()
    assert page.count("Real people are not allowed.") == 1
    assert "<code>rejected</code>" not in page
    assert "Rejected by moderation." in page


def test_no_started_banner_once_created(as_bob, tenant):
    fund(tenant, 100)
    form = {"prompt": "A red fox runs through snow", "provider": "sandbox", "aspect_ratio": "16:9"}
    response = as_bob.post("/generations/new/", {**form, "resolution": "720p", "duration": "8"}, follow=True)
    assert response.redirect_chain[-1][0].startswith("/generations/gen_")
    page = response.content.decode()
    assert 'id="state-text"' in page
    assert "Generation started" not in page


def test_running_job_shows_elapsed_and_the_usual_time_of_similar_jobs(as_bob, tenant):
    now = timezone.now()
    for minutes in (1, 2, 3):  # three recent successes took 60, 120 and 180 s
        make_generation(
            tenant,
            status=Status.SUCCEEDED,
            provider="sandbox",
            resolution="720p",
            created_at=now - timedelta(hours=1),
            finished_at=now - timedelta(hours=1) + timedelta(minutes=minutes),
        )
    make_generation(
        tenant,
        status=Status.SUCCEEDED,
        provider="sandbox",
        resolution="1080p",
        created_at=now - timedelta(hours=2),
        finished_at=now,
    )  # another resolution: ignored
    running = make_generation(
        tenant,
        status=Status.RUNNING,
        provider="sandbox",
        resolution="720p",
        created_at=now - timedelta(seconds=75),
    )
    page = as_bob.get(f"/generations/{running.id}/live/").content.decode()
    assert '<dd id="elapsed">1 min 15 s</dd>' in page
    assert "about 2 min for sandbox at 720p" in page


def test_a_job_held_by_the_in_flight_cap_shows_its_place_in_line(as_bob, tenant):
    Tenant.objects.filter(pk=tenant.pk).update(max_in_flight=2)
    now = timezone.now()
    make_generation(tenant, status=Status.RUNNING, created_at=now - timedelta(minutes=5))
    make_generation(tenant, status=Status.QUEUED, created_at=now - timedelta(minutes=4))
    first = make_generation(tenant, status=Status.PENDING, created_at=now - timedelta(minutes=3))
    second = make_generation(tenant, status=Status.PENDING, created_at=now - timedelta(minutes=2))
    page = as_bob.get(f"/generations/{second.id}/").content.decode()
    assert "2nd to start: 2 of your team's 2 slots are busy" in page
    assert progress.waiting(Generation.objects.get(pk=first.id)).position == 1
    # A slot frees up: nobody is held back any more.
    Generation.objects.filter(status=Status.RUNNING).update(status=Status.SUCCEEDED, finished_at=now)
    assert progress.waiting(Generation.objects.get(pk=second.id)).position is None


def test_history_rows_of_unfinished_jobs_refresh_themselves(as_bob, as_charlie, tenant):
    running = make_generation(tenant, status=Status.RUNNING)
    done = make_generation(tenant, status=Status.SUCCEEDED)
    page = as_bob.get("/generations/").content.decode()
    assert f'hx-get="/generations/{running.id}/row/"' in page
    assert f'hx-get="/generations/{done.id}/row/"' not in page
    Generation.objects.filter(pk=running.pk).update(status=Status.SUCCEEDED)
    row = as_bob.get(f"/generations/{running.id}/row/").content.decode()
    assert 'data-status="succeeded"' in row and "hx-trigger" not in row
    assert as_charlie.get(f"/generations/{running.id}/row/").status_code == 404


def test_dashboard_refreshes_itself(as_bob, tenant):
    make_generation(tenant, status=Status.RUNNING)
    page = as_bob.get("/").content.decode()
    assert 'hx-select="#dashboard-live"' in page and 'hx-trigger="every 4s"' in page


def test_every_audit_action_in_the_code_has_words():
    import re
    from pathlib import Path

    from accounts.audit import ACTION_LABELS
    from accounts.tenant_controls import CONTROL_ACTIONS

    root = Path(__file__).resolve().parents[2]
    used = set(CONTROL_ACTIONS.values()) | {"tenant.in_flight_cap"}
    for path in [
        *root.glob("accounts/**/*.py"),
        *root.glob("billing/**/*.py"),
        *root.glob("generations/**/*.py"),
    ]:
        used |= set(re.findall(r'audit\.record\(\s*[\w.]+,\s*"([a-z_]+\.[a-z_]+)"', path.read_text()))
        used |= set(re.findall(r'_record_once\(\s*[\w.]+,\s*"([a-z_]+\.[a-z_]+)"', path.read_text()))
    assert {"api_key.create", "generation.refund", "credits.grant"} <= used
    assert not used - ACTION_LABELS.keys()


def test_a_suspended_team_is_told_in_words(tenant):
    Tenant.objects.filter(pk=tenant.pk).update(suspended=True)
    tenant.refresh_from_db()
    with pytest.raises(TenantSuspended, match=f"The team {tenant.name} is suspended"):
        tenant.ensure_can_create_work()


def test_history_search_finds_every_word_in_any_order(as_bob, tenant):
    wanted = make_generation(tenant, prompt="A corgi surfing a small wave")
    make_generation(tenant, prompt="A corgi asleep on a sofa")
    page = as_bob.get("/generations/", {"q": "Wave  corgi"}).content.decode()
    assert f'data-generation="{wanted.id}"' in page
    assert page.count("data-generation=") == 1


def test_admin_search_finds_every_word(client, tenant):
    from tests.factories import make_user

    staff = make_user("staff@example.org", is_staff=True, is_superuser=True)
    client.force_login(staff)
    wanted = make_generation(tenant, prompt="A corgi surfing a small wave")
    make_generation(tenant, prompt="A wave of people")
    page = client.get("/admin/generations/generation/", {"q": "corgi wave"}).content.decode()
    assert wanted.id in page and "A wave of people" not in page
