"""Counters for Prometheus, in its text exposition format (version 0.0.4), shared by every worker process.

Requests are counted by endpoint (the matched route, so the label set stays
small), method and status; latency goes into one histogram per endpoint,
measured until the last byte of a streamed body; query timeouts and
result-cache hits and misses have their own counters.

The server answers from several worker processes, and ``/metrics`` must count
them all, so the counters live in one anonymous shared mapping that the app
allocates before the workers are forked (:meth:`Metrics.bind`, once the routes
are known), guarded by one process-shared lock. Its size is fixed: routes ×
methods × statuses 100–599, touched pages only.
"""

from __future__ import annotations

import mmap
import multiprocessing
from collections.abc import Callable, Iterable

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "other")
STATUSES = range(100, 600)
UNMATCHED = "unmatched"
NAMED = ("timeouts", "cache_hit", "cache_miss")
DOUBLE = 8


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class Metrics:
    def __init__(self) -> None:
        self._lock = multiprocessing.get_context("fork").Lock()
        self.endpoints: list[str] = []
        self._index: dict[str, int] = {}
        self._values: memoryview[float] | None = None

    def bind(self, endpoints: Iterable[str]) -> None:
        """Allocate the shared counters for these endpoints (plus ``unmatched``); before any worker forks."""
        self.endpoints = sorted(set(endpoints) | {UNMATCHED})
        self._index = {endpoint: i for i, endpoint in enumerate(self.endpoints)}
        slots = self._requests_size() + len(self.endpoints) * (len(BUCKETS) + 2) + len(NAMED)
        self._values = memoryview(mmap.mmap(-1, slots * DOUBLE)).cast("d")

    def _requests_size(self) -> int:
        return len(self.endpoints) * len(METHODS) * len(STATUSES)

    def _endpoint_base(self, endpoint: int) -> int:
        return self._requests_size() + endpoint * (len(BUCKETS) + 2)

    def _named(self, name: str) -> int:
        return self._requests_size() + len(self.endpoints) * (len(BUCKETS) + 2) + NAMED.index(name)

    def _add(self, slot: int, amount: float = 1.0) -> None:
        if self._values is None:
            return
        with self._lock:
            self._values[slot] += amount

    def observe(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        values = self._values
        if values is None:
            return
        e = self._index.get(endpoint, self._index[UNMATCHED])
        m = METHODS.index(method) if method in METHODS else len(METHODS) - 1
        s = min(max(status, STATUSES.start), STATUSES.stop - 1) - STATUSES.start
        base = self._endpoint_base(e)
        with self._lock:
            values[(e * len(METHODS) + m) * len(STATUSES) + s] += 1
            for index, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    values[base + index] += 1
            values[base + len(BUCKETS)] += seconds
            values[base + len(BUCKETS) + 1] += 1

    def timeout(self) -> None:
        self._add(self._named("timeouts"))

    def cache(self, use: str) -> None:
        """Count a result-cache ``hit`` or ``miss`` (a bypass is neither)."""
        if use in ("hit", "miss"):
            self._add(self._named(f"cache_{use}"))

    def count(self, name: str) -> int:
        return 0 if self._values is None else int(self._values[self._named(name)])

    def render(self, gauges: dict[str, tuple[str, float]], counters: dict[str, tuple[str, Callable[[], int]]]) -> str:
        """The exposition text; ``gauges`` and ``counters`` add name → (help, value) families."""
        lines = ["# HELP healthkg_http_requests_total HTTP requests answered, by endpoint, method and status.",
                 "# TYPE healthkg_http_requests_total counter"]
        values = self._values
        with self._lock:
            snapshot = list(values) if values is not None else []
        if snapshot:
            size = self._requests_size()
            for slot in (i for i in range(size) if snapshot[i]):
                where, rest = divmod(slot, len(METHODS) * len(STATUSES))
                method, status = divmod(rest, len(STATUSES))
                lines.append(f'healthkg_http_requests_total{{endpoint="{_label(self.endpoints[where])}",'
                             f'method="{METHODS[method]}",status="{status + STATUSES.start}"}} {int(snapshot[slot])}')
        lines += ["# HELP healthkg_http_request_duration_seconds Time to the last byte of the response.",
                  "# TYPE healthkg_http_request_duration_seconds histogram"]
        for e, endpoint in enumerate(self.endpoints):
            base = self._endpoint_base(e)
            total = int(snapshot[base + len(BUCKETS) + 1]) if snapshot else 0
            if not total:
                continue
            label = _label(endpoint)
            for index, bound in enumerate(BUCKETS):
                lines.append(f'healthkg_http_request_duration_seconds_bucket{{endpoint="{label}",le="{bound}"}} '
                             f"{int(snapshot[base + index])}")
            lines.append(f'healthkg_http_request_duration_seconds_bucket{{endpoint="{label}",le="+Inf"}} {total}')
            lines.append(f'healthkg_http_request_duration_seconds_sum{{endpoint="{label}"}} '
                         f"{snapshot[base + len(BUCKETS)]:.6f}")
            lines.append(f'healthkg_http_request_duration_seconds_count{{endpoint="{label}"}} {total}')
        lines += [
            "# HELP healthkg_query_timeouts_total Queries stopped at the time limit.",
            "# TYPE healthkg_query_timeouts_total counter",
            f"healthkg_query_timeouts_total {self.count('timeouts')}",
        ]
        for name, (text, read) in counters.items():
            lines += [f"# HELP {name} {text}", f"# TYPE {name} counter", f"{name} {read()}"]
        for name, (text, value) in gauges.items():
            lines += [f"# HELP {name} {text}", f"# TYPE {name} gauge", f"{name} {value:g}"]
        return "\n".join(lines) + "\n"
