"""Each API key's spend this month, for the keys page, counted by the layer that owns the jobs.

Accounts sits below billing and generations and imports neither, yet the keys page shows what
each key spent against its monthly cap. The count belongs to generations (a key spends by
starting generations; generations.holds enforces the cap), so generations registers its
counting function here when the app loads (GenerationsConfig.ready), and the keys page calls it
through `spends()`. The page and the cap check then run the very same function.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

SpendCounter = Callable[[Iterable[int]], dict[int, int]]

_counter: SpendCounter | None = None


def register(counter: SpendCounter) -> None:
    """Set the function that counts keys' spend this month: key ids -> {key id: credits}."""
    global _counter
    _counter = counter


def spends(key_ids: Iterable[int]) -> dict[int, int]:
    """{key id: credits spent this month} for the given keys; keys that spent nothing get 0."""
    ids = list(key_ids)
    counted = _counter(ids) if _counter is not None and ids else {}
    return {key_id: counted.get(key_id, 0) for key_id in ids}
