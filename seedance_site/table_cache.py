"""Process-local copies of small, rarely edited tables read on every create (price rules,
moderation terms), so the hot path does not query them each time.

A copy is refreshed after `ttl` seconds, and at once when this process saves or deletes a row;
other processes see an edit within `ttl`. Tests clear every copy between tests (`clear_all`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.db.models.signals import post_delete, post_save

_caches: list[TableCache] = []


class TableCache:
    def __init__(self, model, loader: Callable[[], Any], ttl: float = 30.0):
        self.loader = loader
        self.ttl = ttl
        self._value: Any = None
        self._loaded_at: float | None = None
        for signal in (post_save, post_delete):
            signal.connect(self._invalidate, sender=model, weak=False)
        _caches.append(self)

    def get(self) -> Any:
        now = time.monotonic()
        if self._loaded_at is None or now - self._loaded_at > self.ttl:
            self._value = self.loader()
            self._loaded_at = now
        return self._value

    def clear(self) -> None:
        self._loaded_at = None

    def _invalidate(self, **kwargs) -> None:
        self.clear()


def clear_all() -> None:
    for cache in _caches:
        cache.clear()
