"""Answers already given for this graph version, so a repeated query costs a dictionary lookup.

The served graph only changes when a build is swapped in or an update runs,
and both change the snapshot version that is part of every key, so entries
never go stale; old versions simply age out of the LRU. Only complete answers
up to ``max_entry_bytes`` are kept, and at most ``max_bytes`` of answers in all;
keys are small and fixed in size (the query enters as a digest, see
:func:`cache_key`) and each entry is charged ``ENTRY_BYTES`` besides its body,
so even empty answers count and the cache's memory is bounded. A caller may bypass the
cache (the server does for ``Cache-Control: no-cache``, how the benchmark
measures cold queries).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

from healthkg.engine.formats import Format
from healthkg.engine.requests import Query

Key = tuple[object, ...]
ENTRY_BYTES = 512  # what an entry weighs besides its body: its key, its answer object, its place in the LRU


def cache_key(version: str, query: Query) -> Key:
    """Everything an answer depends on: the graph's version, the query and dataset, the formats, the cap.

    The query and dataset enter as a digest, so a key weighs the same however long the
    query: the cache's byte budget then bounds its memory.
    """
    digest = hashlib.blake2b(digest_size=16)
    for part in (query.text, *query.dataset.default_graphs, "\x00", *query.dataset.named_graphs):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\x00")
    return (version, digest.digest(), query.results_format, query.graph_format, query.max_rows)


@dataclass(frozen=True)
class CachedAnswer:
    fmt: Format
    body: bytes
    truncated: bool


class ResultCache:
    """Complete answers by key, least recently used evicted first; ``max_bytes`` 0 keeps nothing."""

    def __init__(self, max_bytes: int, max_entry_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.max_entry_bytes = min(max_entry_bytes, max_bytes)
        self._entries: OrderedDict[Key, CachedAnswer] = OrderedDict()
        self.size = 0
        self._lock = threading.Lock()

    def get(self, key: Key) -> CachedAnswer | None:
        with self._lock:
            answer = self._entries.get(key)
            if answer is not None:
                self._entries.move_to_end(key)
            return answer

    def put(self, key: Key, answer: CachedAnswer) -> None:
        if _weight(answer) > self.max_entry_bytes:
            return
        with self._lock:
            previous = self._entries.pop(key, None)
            if previous is not None:
                self.size -= _weight(previous)
            self._entries[key] = answer
            self.size += _weight(answer)
            while self.size > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self.size -= _weight(evicted)


def _weight(answer: CachedAnswer) -> int:
    return ENTRY_BYTES + len(answer.body)
