"""Answers already given for this graph version, so a repeated query costs a dictionary lookup.

The served graph only changes when a build is swapped in or an update runs,
and both change the snapshot version that is part of every key, so entries
never go stale; old versions simply age out of the LRU. Only complete answers
up to ``max_entry_bytes`` are kept, and at most ``max_bytes`` of answers in all;
keys are small and fixed in size (the query enters as a digest, see
``healthkg.server.sparql.cache_key``), so the cache's memory is bounded. A request with ``Cache-Control: no-cache``
bypasses the cache (how the benchmark measures cold queries).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from healthkg.engine.formats import Format


@dataclass(frozen=True)
class CachedAnswer:
    fmt: Format
    body: bytes
    truncated: bool


class ResultCache:
    def __init__(self, max_bytes: int, max_entry_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.max_entry_bytes = min(max_entry_bytes, max_bytes)
        self._entries: OrderedDict[tuple[object, ...], CachedAnswer] = OrderedDict()
        self.size = 0
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
        if len(answer.body) > self.max_entry_bytes:
            return
        with self._lock:
            previous = self._entries.pop(key, None)
            if previous is not None:
                self.size -= len(previous.body)
            self._entries[key] = answer
            self.size += len(answer.body)
            while self.size > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self.size -= len(evicted.body)
