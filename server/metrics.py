"""Counters for Prometheus, in its text exposition format (version 0.0.4), without a client library.

Requests are counted by endpoint (the matched route, so the label set stays
small), method and status; latency goes into one histogram per endpoint,
measured until the last byte of a streamed body; query timeouts, result-cache
hits and misses and reloads have their own counters.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, str, int], int] = defaultdict(int)
        self.buckets: dict[str, list[int]] = defaultdict(lambda: [0] * len(BUCKETS))
        self.latency_sum: dict[str, float] = defaultdict(float)
        self.latency_count: dict[str, int] = defaultdict(int)
        self.timeouts = 0

    def observe(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        with self._lock:
            self.requests[(endpoint, method, status)] += 1
            counts = self.buckets[endpoint]
            for index, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    counts[index] += 1
            self.latency_sum[endpoint] += seconds
            self.latency_count[endpoint] += 1

    def timeout(self) -> None:
        with self._lock:
            self.timeouts += 1

    def render(self, gauges: dict[str, tuple[str, float]], counters: dict[str, tuple[str, Callable[[], int]]]) -> str:
        """The exposition text; ``gauges`` and ``counters`` add name → (help, value) families."""
        lines = ["# HELP healthkg_http_requests_total HTTP requests answered, by endpoint, method and status.",
                 "# TYPE healthkg_http_requests_total counter"]
        with self._lock:
            for (endpoint, method, status), count in sorted(self.requests.items()):
                lines.append(f'healthkg_http_requests_total{{endpoint="{_label(endpoint)}",method="{method}",'
                             f'status="{status}"}} {count}')
            lines += ["# HELP healthkg_http_request_duration_seconds Time to the last byte of the response.",
                      "# TYPE healthkg_http_request_duration_seconds histogram"]
            for endpoint in sorted(self.buckets):
                label = _label(endpoint)
                for bound, count in zip(BUCKETS, self.buckets[endpoint]):
                    lines.append(
                        f'healthkg_http_request_duration_seconds_bucket{{endpoint="{label}",le="{bound}"}} {count}'
                    )
                total = self.latency_count[endpoint]
                lines.append(f'healthkg_http_request_duration_seconds_bucket{{endpoint="{label}",le="+Inf"}} {total}')
                seconds = self.latency_sum[endpoint]
                lines.append(f'healthkg_http_request_duration_seconds_sum{{endpoint="{label}"}} {seconds:.6f}')
                lines.append(f'healthkg_http_request_duration_seconds_count{{endpoint="{label}"}} {total}')
            lines += [
                "# HELP healthkg_query_timeouts_total Queries stopped at the time limit.",
                "# TYPE healthkg_query_timeouts_total counter",
                f"healthkg_query_timeouts_total {self.timeouts}",
            ]
        for name, (text, read) in counters.items():
            lines += [f"# HELP {name} {text}", f"# TYPE {name} counter", f"{name} {read()}"]
        for name, (text, value) in gauges.items():
            lines += [f"# HELP {name} {text}", f"# TYPE {name} gauge", f"{name} {value:g}"]
        return "\n".join(lines) + "\n"
