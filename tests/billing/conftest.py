import pytest

from generations.holds import reconcile


@pytest.fixture
def books_agree():
    """Call with a tenant: fails with the reason when its ledger, balance and holds disagree."""

    def check(tenant):
        assert reconcile(tenant) == []

    return check
