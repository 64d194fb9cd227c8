"""The low-balance warning: owners and admins set a threshold on the billing page; below it every
portal page shows a banner, and the owners get one email per crossing."""

import pytest
from django.core import mail

from accounts.models import AuditEvent, Membership, Role
from billing import low_balance
from billing.models import CreditAccount
from billing.services import grant
from generations.holds import capture, hold, release
from tests.factories import fund, make_generation, new_generation

BANNER = 'id="low-balance"'


@pytest.fixture(autouse=True)
def tasks_run_at_once(monkeypatch):
    """django-q2 runs queued tasks (the owners' email) in this process, at once, as a worker would."""
    monkeypatch.setattr("django_q.conf.Conf.SYNC", True)


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run what the code defers to after the commit (the threshold check), as production does."""

    def run(action, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return action(*args, **kwargs)

    return run


def warnings_sent() -> list:
    return [m for m in mail.outbox if "low on credits" in m.subject]


def test_the_banner_shows_below_the_threshold_on_every_page(as_bob, tenant):
    fund(tenant, 1000)
    low_balance.set_threshold(tenant, 500)
    for url in ("/", "/generations/", "/billing/", "/billing/usage/"):
        assert BANNER not in as_bob.get(url).content.decode(), url
    make_generation(tenant, hold=600)  # available 400 < 500
    for url in ("/", "/generations/", "/billing/", "/billing/usage/"):
        page = as_bob.get(url).content.decode()
        assert BANNER in page, url
        assert "400 credits available, below the warning threshold of 500" in page
        assert 'href="/billing/#payments">Buy credits</a>' in page


def test_no_banner_without_a_threshold_or_for_another_team(as_bob, as_charlie, tenant, other_tenant):
    assert BANNER not in as_bob.get("/").content.decode()  # no credits, no threshold: off
    low_balance.set_threshold(tenant, 10)
    assert BANNER in as_bob.get("/").content.decode()
    assert BANNER not in as_charlie.get("/").content.decode()
    low_balance.set_threshold(tenant, None)
    assert BANNER not in as_bob.get("/").content.decode()


def test_owners_get_one_email_per_crossing(tenant, bob, run_on_commit):
    fund(tenant, 1000)
    low_balance.set_threshold(tenant, 500)
    first = run_on_commit(make_generation, tenant, hold=300)  # 700 left: above
    assert warnings_sent() == []
    second = run_on_commit(make_generation, tenant, hold=300)  # 400 left: crosses below
    assert len(warnings_sent()) == 1
    email = warnings_sent()[0]
    assert email.to == ["alice@example.org"]  # owners only
    assert "400 credits available" in email.body and "/billing/" in email.body
    run_on_commit(make_generation, tenant, hold=100)  # the next job, still below: no new email
    run_on_commit(capture, first)
    run_on_commit(capture, second, actual_amount=250)  # 50 released: still below
    assert len(warnings_sent()) == 1
    run_on_commit(grant, tenant, 1000)  # a top-up: back above, the warning re-arms
    assert CreditAccount.objects.get(tenant=tenant).low_balance_warned is False
    assert len(warnings_sent()) == 1
    run_on_commit(make_generation, tenant, hold=1000)  # a new crossing
    assert len(warnings_sent()) == 2


def test_a_hold_checks_the_threshold_only_for_a_team_that_set_one(
    tenant, django_capture_on_commit_callbacks, django_assert_num_queries
):
    """Every create holds credits; a team without a threshold pays for no check after commit."""
    fund(tenant, 1000)
    job = new_generation(tenant)
    with django_capture_on_commit_callbacks() as checks, django_assert_num_queries(2) as sent:
        hold(job, 300)  # the INSERT and one UPDATE of the account
    assert checks == []
    assert [q["sql"].split()[0] for q in sent.captured_queries] == ["INSERT", "UPDATE"]
    assert CreditAccount.objects.get(tenant=tenant).held == 300

    low_balance.set_threshold(tenant, 500)
    with django_capture_on_commit_callbacks(execute=True) as checks:
        hold(new_generation(tenant), 300)  # 400 left: below
    assert len(checks) == 1
    assert len(warnings_sent()) == 1
    assert CreditAccount.objects.get(tenant=tenant).held == 600


def test_a_release_back_above_the_threshold_rearms_the_email(tenant, run_on_commit):
    fund(tenant, 1000)
    low_balance.set_threshold(tenant, 500)
    job = run_on_commit(make_generation, tenant, hold=600)
    assert len(warnings_sent()) == 1
    run_on_commit(release, job)  # failed job: credits come back
    run_on_commit(make_generation, tenant, hold=600)
    assert len(warnings_sent()) == 2


def test_setting_a_threshold_above_the_balance_warns_on_the_page_not_by_email(
    as_alice, tenant, run_on_commit
):
    fund(tenant, 100)
    run_on_commit(as_alice.post, "/billing/low-balance/", {"low_balance_threshold": "500"})
    assert BANNER in as_alice.get("/").content.decode()
    assert warnings_sent() == []
    run_on_commit(make_generation, tenant, hold=10)  # still below: the owner knows already
    assert warnings_sent() == []


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_owners_and_admins_set_the_threshold_and_it_is_audited(client_for, alice, bob, tenant, role):
    Membership.objects.filter(tenant=tenant, user=bob).update(role=role)
    client = client_for(bob)
    assert 'name="low_balance_threshold"' in client.get("/billing/").content.decode()
    response = client.post("/billing/low-balance/", {"low_balance_threshold": "2500"})
    assert response.status_code == 302
    assert low_balance.threshold_of(tenant.pk) == 2500
    event = AuditEvent.objects.get(tenant=tenant, action="team.low_balance")
    assert (event.actor, event.before, event.after) == (
        bob,
        {"low_balance_threshold": None},
        {"low_balance_threshold": 2500},
    )
    page = client.get("/billing/").content.decode()
    assert "You will be warned when available credits fall below 2,500." in page
    assert 'value="2500"' in page
    client.post("/billing/low-balance/", {"low_balance_threshold": ""})
    assert low_balance.threshold_of(tenant.pk) is None
    assert AuditEvent.objects.filter(tenant=tenant, action="team.low_balance").count() == 2
    client.post("/billing/low-balance/", {"low_balance_threshold": ""})  # no change: no event
    assert AuditEvent.objects.filter(tenant=tenant, action="team.low_balance").count() == 2


@pytest.mark.parametrize("who", ["as_bob", "as_vera"])
def test_members_and_viewers_cannot_set_it(request, who, tenant):
    client = request.getfixturevalue(who)
    assert 'name="low_balance_threshold"' not in client.get("/billing/").content.decode()
    assert client.post("/billing/low-balance/", {"low_balance_threshold": "5"}).status_code == 403
    assert low_balance.threshold_of(tenant.pk) is None


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("-1", "greater than or equal to 0"),
        ("abc", "Enter a whole number"),
        ("1.5", "Enter a whole number"),
        ("1e3", "Enter a whole number"),
        ("99999999999999999999999999", "less than or equal to 1000000000000"),
        ("1000000000001", "less than or equal to 1000000000000"),
    ],
)
def test_a_bad_threshold_is_a_form_error_and_writes_nothing(as_alice, tenant, value, error):
    low_balance.set_threshold(tenant, 300)
    response = as_alice.post("/billing/low-balance/", {"low_balance_threshold": value})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="low_balance_threshold-error"' in page and error in page
    assert low_balance.threshold_of(tenant.pk) == 300
    assert not AuditEvent.objects.filter(action="team.low_balance").exists()


def test_the_service_refuses_bad_thresholds(tenant):
    from billing.errors import InvalidAmount

    for bad in (-1, 10**13, "5", 2.5, True):
        with pytest.raises(InvalidAmount) as exc:
            low_balance.set_threshold(tenant, bad)
        assert "low_balance_threshold" in exc.value.details
    assert low_balance.threshold_of(tenant.pk) is None
