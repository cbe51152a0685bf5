"""What the server keeps in memory between requests is held in one small cache type: a bounded, thread-safe LRU.

The set of caches an app owns is `voxelhub.app_caches.AppCaches`. This module imports nothing of voxelhub, so
that storage code can use the type without depending on what the app caches.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """A thread-safe map that keeps the most recently used values: at most `max_entries`, and given `max_bytes`,
    at most that many bytes as `weigh` counts them. A value is loaded outside the lock, so that a slow load holds
    up no other key; two threads that miss the same key at once both load it, and the later one is kept."""

    def __init__(
        self, max_entries: int, *, max_bytes: int | None = None, weigh: Callable[[V], int] | None = None
    ) -> None:
        if (max_bytes is None) != (weigh is None):
            raise ValueError("max_bytes needs weigh, and weigh needs max_bytes")
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._weigh = weigh
        self._entries: OrderedDict[K, tuple[V, int]] = OrderedDict()  # value and its weight, oldest use first
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            self._entries.move_to_end(key)
            return found[0]

    def put(self, key: K, value: V) -> None:
        weight = self._weigh(value) if self._weigh else 0
        if self.max_entries < 1 or (self.max_bytes is not None and weight > self.max_bytes):
            return
        with self._lock:
            replaced = self._entries.pop(key, None)
            self._bytes += weight - (replaced[1] if replaced else 0)
            self._entries[key] = (value, weight)
            while len(self._entries) > self.max_entries or self._too_heavy():
                _, (_, dropped) = self._entries.popitem(last=False)
                self._bytes -= dropped

    def _too_heavy(self) -> bool:
        return self.max_bytes is not None and self._bytes > self.max_bytes

    def get_or_load(self, key: K, load: Callable[[], V]) -> V:
        found = self.get(key)
        if found is not None:
            return found
        value = load()
        self.put(key, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)


# Keeps nothing, so one instance can serve every caller outside an app.
NO_CACHE: BoundedCache[Any, Any] = BoundedCache(0)
