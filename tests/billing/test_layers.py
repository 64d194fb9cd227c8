"""The layers point one way: accounts <- billing <- generations. Billing moves money on accounts
and the ledger and knows nothing of what the credits pay for."""

import ast
from pathlib import Path

import billing

BILLING = Path(billing.__file__).parent


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_billing_imports_nothing_from_generations():
    sources = [p for p in BILLING.rglob("*.py") if "migrations" not in p.relative_to(BILLING).parts]
    assert len(sources) > 10  # the scan sees billing's modules, payments and the Stripe sandbox
    offenders = {
        str(path.relative_to(BILLING.parent)): sorted(
            name
            for name in imported_modules(path)
            if name == "generations" or name.startswith("generations.")
        )
        for path in sources
    }
    assert {path: names for path, names in offenders.items() if names} == {}
