"""The layers point one way: accounts <- billing <- generations. Accounts (teams, members, keys,
the audit log, staff's tenant controls) imports neither billing nor generations: the screens
that need money (the credits action on the tenant admin) live in billing and extend accounts'."""

from pathlib import Path

import accounts
from tests.billing.test_layers import imported_modules

ACCOUNTS = Path(accounts.__file__).parent
HIGHER = ("billing", "generations")


def test_accounts_imports_neither_billing_nor_generations():
    sources = [p for p in ACCOUNTS.rglob("*.py") if "migrations" not in p.relative_to(ACCOUNTS).parts]
    assert len(sources) > 10  # the scan sees accounts' modules, its admin and the tenant controls
    offenders = {
        str(path.relative_to(ACCOUNTS.parent)): sorted(
            name for name in imported_modules(path) if name.split(".")[0] in HIGHER
        )
        for path in sources
    }
    assert {path: names for path, names in offenders.items() if names} == {}
