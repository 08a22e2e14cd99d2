"""Answers already given for this graph version, so a repeated query costs a dictionary lookup.

The served graph only changes when a build is swapped in or an update runs,
and both change the snapshot version that is part of every key, so entries
never go stale; old versions simply age out of the LRU. Only complete answers
up to ``max_entry_bytes`` are kept. A request with ``Cache-Control: no-cache``
bypasses the cache (how the benchmark measures cold queries).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from healthkg.queries.formats import Format


@dataclass(frozen=True)
class CachedAnswer:
    fmt: Format
    body: bytes
    truncated: bool


class ResultCache:
    def __init__(self, max_entries: int, max_entry_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_entry_bytes = max_entry_bytes
        self._entries: OrderedDict[tuple[object, ...], CachedAnswer] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple[object, ...], *, count_miss: bool = True) -> CachedAnswer | None:
        """The answer kept for ``key``; ``count_miss=False`` for a look that may be repeated elsewhere."""
        with self._lock:
            answer = self._entries.get(key)
            if answer is None:
                if count_miss:
                    self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return answer

    def count_miss(self) -> None:
        with self._lock:
            self.misses += 1

    def put(self, key: tuple[object, ...], answer: CachedAnswer) -> None:
        if self.max_entries <= 0 or len(answer.body) > self.max_entry_bytes:
            return
        with self._lock:
            self._entries[key] = answer
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
