"""Latency, throughput and memory of one SPARQL engine under the benchmark's workload.

Two ways in: ``endpoint URL`` drives any SPARQL 1.1 Protocol endpoint (POST
``application/sparql-query``, ``Accept: application/sparql-results+json``, whole
body read, one persistent connection per client thread); ``floor --data FILE``
runs the same plan on an in-memory ``pyoxigraph.Store`` in this process, which
is the fastest any server over pyoxigraph can be (it still serialises SPARQL
JSON, as a server must).

Phases, in this order so that "cold" means what it says:

1. cold analytical: each analytical query once, on a freshly started engine;
2. cold point lookups, 8 clients: every request names a program not asked before,
   so no result cache can help;
3. warm analytical: each query repeated, one client (median, p95), then again with
   ``Cache-Control: no-cache`` ("uncached": what the engine itself costs once data is hot);
4. warm point lookups: a small hot set already asked in phase 2, with 1, 4 and 8 clients,
   then 8 clients uncached;
5. analytical mix, 4 clients, normal then uncached.

Every loop is bounded by a request count and a deadline. RSS (VmRSS, VmHWM) is
read from /proc/<pid>/status before and after.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from workload import BINDINGS, Workload, render

HOT_SET = 32
COLD_POINT_MAX = 4000


class Client(Protocol):
    def run(self, text: str) -> bytes: ...


ClientFactory = Callable[[bool], Client]  # argument: ask the engine not to answer from a result cache


class EngineError(RuntimeError):
    """The engine answered something other than SPARQL JSON; the message keeps its words."""


class HttpClient:
    """One keep-alive connection, reopened when the server closes it."""

    def __init__(self, url: str, timeout: float, no_cache: bool = False) -> None:
        parts = urlsplit(url)
        if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError(f"{url}: the benchmark only talks to loopback endpoints")
        self.host, self.port = parts.hostname, parts.port or 80
        self.path = parts.path or "/"
        self.timeout = timeout
        self.connection: http.client.HTTPConnection | None = None
        self.headers = {"Content-Type": "application/sparql-query; charset=utf-8",
                        "Accept": "application/sparql-results+json"}
        if no_cache:
            self.headers["Cache-Control"] = "no-cache"

    def run(self, text: str) -> bytes:
        return self.send("POST", self.path, text.encode("utf-8"), self.headers)

    def send(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> bytes:
        """One request on the kept-alive connection, retried once on a fresh one if the server dropped it."""
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                payload = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    raise
                continue
            if response.will_close:
                self.connection.close()
                self.connection = None
            if response.status != 200:
                raise EngineError(f"HTTP {response.status}: {payload[:300].decode('utf-8', 'replace')}")
            return payload
        raise AssertionError("unreachable")


class StoreClient:
    def __init__(self, store: Any) -> None:
        self.store = store

    def run(self, text: str) -> bytes:
        from pyoxigraph import QueryResultsFormat, QueryTriples, RdfFormat

        results = self.store.query(text, use_default_graph_as_union=True)
        if isinstance(results, QueryTriples):
            return results.serialize(format=RdfFormat.N_TRIPLES) or b""
        return results.serialize(format=QueryResultsFormat.JSON) or b""


def rows(payload: bytes) -> int:
    return len(json.loads(payload)["results"]["bindings"])


def memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM in KiB of a live process."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0])
    return found


def percentile(samples: Sequence[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))]


@dataclass
class Latency:
    n: int = 0
    median_ms: float | None = None
    p95_ms: float | None = None
    errors: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, samples: list[float], errors: list[str]) -> Latency:
        if not samples:
            return cls(0, None, None, errors[:3])
        return cls(len(samples), round(statistics.median(samples) * 1000, 3),
                   round(percentile(samples, 0.95) * 1000, 3), errors[:3])


@dataclass
class Throughput(Latency):
    clients: int = 0
    seconds: float = 0.0
    qps: float = 0.0


def timed(client: Client, text: str) -> tuple[float, bytes]:
    started = time.perf_counter()
    payload = client.run(text)
    return time.perf_counter() - started, payload


def throughput(factory: Callable[[], Client], texts: Iterator[str], clients: int, max_requests: int,
               max_seconds: float) -> Throughput:
    """``clients`` threads take texts from one iterator until it, the count or the deadline runs out."""
    lock = threading.Lock()
    samples: list[float] = []
    errors: list[str] = []
    issued = 0
    deadline = time.monotonic() + max_seconds

    def next_text() -> str | None:
        nonlocal issued
        with lock:
            if issued >= max_requests or time.monotonic() > deadline:
                return None
            text = next(texts, None)
            if text is not None:
                issued += 1
            return text

    def worker() -> None:
        client = factory()
        while (text := next_text()) is not None:
            try:
                seconds, _ = timed(client, text)
            except Exception as error:  # noqa: BLE001 - an engine failure is a result to report
                with lock:
                    errors.append(f"{type(error).__name__}: {error}")
                continue
            with lock:
                samples.append(seconds)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latency = Latency.of(samples, errors)
    return Throughput(**asdict(latency), clients=clients, seconds=round(elapsed, 3),
                      qps=round(len(samples) / elapsed, 2) if elapsed else 0.0)


@dataclass
class Budget:
    """Bounds that keep one engine's run short whatever its speed."""

    warm_reps: int = 15
    warm_seconds_per_query: float = 15.0
    phase_seconds: float = 20.0
    point_requests: int = 2000
    mix_rounds: int = 3


def warm_latency(client: Client, text: str, cold_ms: float, budget: Budget) -> dict[str, Any]:
    reps = max(1, min(budget.warm_reps, int(budget.warm_seconds_per_query * 1000 / max(cold_ms, 1))))
    samples, errors = [], []
    for _ in range(reps):
        try:
            samples.append(timed(client, text)[0])
        except Exception as error:  # noqa: BLE001
            errors.append(f"{type(error).__name__}: {error}")
    return asdict(Latency.of(samples, errors))


def run_plan(factory: ClientFactory, workload: Workload, budget: Budget, binding: str, pid: int,
             exclude: Sequence[str] = ()) -> dict[str, Any]:
    """The phases of the module docstring; "uncached" phases send ``Cache-Control: no-cache``."""
    client, uncached = factory(False), factory(True)
    programs = [b["program"]["value"] for b in json.loads(client.run(workload.sample.text))["results"]["bindings"]]
    if not programs:
        raise EngineError("the endpoint has no hkg:Program: was the data loaded?")
    entity = programs[len(programs) // 2]
    analytical = {q.name: render(q, {"entity": entity} if any(p.name == "entity" for p in q.params) else {}, binding)
                  for q in workload.analytical if q.name not in exclude}

    def point(program: str) -> str:
        return render(workload.point, {"program": program}, binding)

    result: dict[str, Any] = {"programs": len(programs), "binding": binding, "excluded": list(exclude),
                              "memory_before": memory(pid)}
    queries: dict[str, dict[str, Any]] = {}
    for name, text in analytical.items():
        try:
            seconds, payload = timed(client, text)
            queries[name] = {"cold_ms": round(seconds * 1000, 3), "rows": rows(payload)}
        except Exception as error:  # noqa: BLE001
            queries[name] = {"cold_ms": None, "rows": None, "error": f"{type(error).__name__}: {error}"}

    hot, cold = programs[:HOT_SET], programs[HOT_SET:][:COLD_POINT_MAX]
    result["point_cold_8"] = asdict(throughput(lambda: factory(False), (point(p) for p in hot + cold), 8,
                                               budget.point_requests + HOT_SET, budget.phase_seconds))

    for name, text in analytical.items():
        cold_ms = queries[name]["cold_ms"]
        if cold_ms is None:
            queries[name]["warm"] = queries[name]["uncached"] = asdict(Latency(errors=["skipped: cold run failed"]))
            continue
        queries[name]["warm"] = warm_latency(client, text, cold_ms, budget)
        queries[name]["uncached"] = warm_latency(uncached, text, cold_ms, budget)
    result["queries"] = queries

    def cycle(items: list[str]) -> Iterator[str]:
        while True:
            yield from items

    hot_texts = [point(p) for p in hot]
    result["point_warm_1"] = asdict(throughput(lambda: factory(False), cycle(hot_texts), 1, budget.point_requests // 4,
                                               budget.phase_seconds / 2))
    for clients in (4, 8):
        result[f"point_warm_{clients}"] = asdict(throughput(lambda: factory(False), cycle(hot_texts), clients,
                                                            budget.point_requests, budget.phase_seconds))
    result["point_uncached_8"] = asdict(throughput(lambda: factory(True), cycle(hot_texts), 8, budget.point_requests,
                                                   budget.phase_seconds))
    mix = [text for name, text in analytical.items() if queries[name]["cold_ms"] is not None]
    total = len(mix) * budget.mix_rounds * 4
    result["mix_4"] = asdict(throughput(lambda: factory(False), iter(mix * budget.mix_rounds * 4), 4, total,
                                        budget.phase_seconds * 2))
    result["mix_uncached_4"] = asdict(throughput(lambda: factory(True), iter(mix * budget.mix_rounds * 4), 4, total,
                                                 budget.phase_seconds * 2))
    result["memory_after"] = memory(pid)
    return result


def floor(data: Path, workload: Workload, budget: Budget, binding: str, exclude: Sequence[str] = ()) -> dict[str, Any]:
    import os

    from pyoxigraph import RdfFormat, Store

    started = time.perf_counter()
    store = Store()
    store.load(path=str(data), format=RdfFormat.N_QUADS)  # as healthkg fills its store: the faster layout
    loaded = time.perf_counter() - started
    result = run_plan(lambda _no_cache: StoreClient(store), workload, budget, binding, os.getpid(), exclude)
    result["load_seconds"] = round(loaded, 2)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    endpoint = sub.add_parser("endpoint", help="drive a SPARQL endpoint over HTTP")
    endpoint.add_argument("url")
    endpoint.add_argument("--pid", type=int, required=True, help="server process whose RSS to report")
    endpoint.add_argument("--timeout", type=float, default=120.0, help="seconds per request")
    in_process = sub.add_parser("floor", help="in-process pyoxigraph on the same data")
    in_process.add_argument("--data", type=Path, required=True)
    for each in (endpoint, in_process):
        each.add_argument("--binding", choices=BINDINGS, default="inline")
        each.add_argument("--phase-seconds", type=float, default=Budget.phase_seconds)
        each.add_argument("--warm-seconds", type=float, default=Budget.warm_seconds_per_query,
                          help="time budget of the warm runs of one query (fewer runs when a query is slow)")
        each.add_argument("--exclude", action="append", default=[], help="leave this analytical query out")
        each.add_argument("--warm-reps", type=int, default=Budget.warm_reps,
                          help="at most this many warm runs per query")
        each.add_argument("--out", type=Path, help="write JSON here (default: stdout)")
    args = parser.parse_args(argv)
    budget = Budget(
        phase_seconds=args.phase_seconds, warm_reps=args.warm_reps, warm_seconds_per_query=args.warm_seconds
    )
    workload = Workload.load()
    if args.mode == "floor":
        result = floor(args.data, workload, budget, args.binding, args.exclude)
    else:
        result = run_plan(
            lambda no_cache: HttpClient(args.url, args.timeout, no_cache),
            workload,
            budget,
            args.binding,
            args.pid,
            args.exclude,
        )
    text = json.dumps(result, ensure_ascii=False, indent=2)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
