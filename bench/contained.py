"""The contained server against the Oxigraph server in memory, side by side: every request shape, memory, cost.

All servers are loaded at once and measured in rotating order, round by round (as ``interleave.py``):

* point lookups with 8 clients for each request shape a client sends (GET, form POST, ``application/sparql-query``
  POST) × answer (SELECT as SPARQL JSON, CONSTRUCT as N-Triples and as Turtle) × the same query every time
  (the result cache may answer) or a new entity every time (nothing cached can answer);
* the analytical queries, uncached (``Cache-Control: no-cache``), against pyoxigraph in this process (the floor);
* PSS of each server's processes (master, workers, evaluators: shared pages counted once), and server CPU time
  per request;
* ``fork``: the cost of forking an evaluator from a worker holding the store (what a replacement pays).

Usage: ``python bench/contained.py --size 1M`` (Markdown on stdout, JSON beside the servers' logs).
Engines: ``healthkg-w<N>`` (N workers, evaluator processes: the default layout), ``healthkg-keep-w<N>`` (the
same, evaluators never replaced for the store pages they copied), ``healthkg-thread-w<N>``
(evaluation in a thread of the worker: no containment, to price it), ``oxigraph-memory``, and ``baseline``:
the ``healthkg`` command given with ``--baseline-bin`` (another checkout's), served with its own defaults.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timezone
from itertools import count, repeat
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import psutil
from engines import BIN, Server, _spawn, healthkg_store, start_oxigraph_memory
from harness import HttpClient, StoreClient, throughput
from pyoxigraph import RdfFormat, Store
from report import geomean
from run import HERE, dataset, loadavg, machine
from workload import Workload, render

FLOOR = "floor"
SHAPES = ("get", "form", "direct")
ANSWERS = {"select-json": "application/sparql-results+json", "construct-nt": "application/n-triples",
           "construct-ttl": "text/turtle"}
CONSTRUCT = """PREFIX hkg:  <https://w3id.org/healthkg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
CONSTRUCT { ?_program rdfs:label ?label . ?allocation hkg:forScheme ?_program ; hkg:fiscalYearNumber ?fiscal_year ;
  hkg:inProject ?project ; hkg:amountYen ?amount_yen }
WHERE {
  ?_program rdfs:label ?label .
  FILTER(lang(?label) = "ja")
  OPTIONAL { ?allocation hkg:forScheme ?_program ; hkg:fiscalYearNumber ?fiscal_year ; hkg:inProject ?project ;
             hkg:amountYen ?amount_yen . }
}"""


class ShapeClient(HttpClient):
    """One client sending one request shape; a connection the server closes is reopened (gunicorn's sync
    workers close after each answer, Oxigraph keeps it alive)."""

    def __init__(self, url: str, shape: str, accept: str, no_cache: bool = False) -> None:
        super().__init__(url, timeout=300, no_cache=no_cache)
        self.shape = shape
        self.headers = {key: value for key, value in self.headers.items() if key != "Content-Type"}
        self.headers["Accept"] = accept

    def request(self, text: str) -> tuple[str, str, bytes | None, dict[str, str]]:
        if self.shape == "get":
            return "GET", f"{self.path}?{urlencode({'query': text})}", None, self.headers
        if self.shape == "form":
            return "POST", self.path, urlencode({"query": text}).encode(), {
                **self.headers, "Content-Type": "application/x-www-form-urlencoded"}
        return "POST", self.path, text.encode(), {**self.headers, "Content-Type": "application/sparql-query"}

    def run(self, text: str) -> bytes:
        return self.send(*self.request(text))


def burst(factory: Callable[[], ShapeClient], texts: Iterator[str], clients: int, seconds: float) -> float:
    """Requests per second of ``clients`` threads for ``seconds``; any failed request fails the run, since a
    rate measured over refusals would flatter the server."""
    result = throughput(factory, texts, clients, 10**9, seconds)
    if result.errors:
        raise RuntimeError(f"failed requests, e.g. {result.errors[0]}")
    return result.qps


def tree(root: int) -> list[psutil.Process]:
    """A server's master and every process under it (workers and their evaluators)."""
    master = psutil.Process(root)
    return [master, *master.children(recursive=True)]


def pss_kib(root: int) -> int:
    total = 0
    for process in tree(root):
        try:
            total += process.memory_full_info().pss // 1024
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


def cpu_seconds(root: int) -> float:
    """User and system time of a server's live processes and of the children they have reaped."""
    total = 0.0
    for process in tree(root):
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return total


def start_healthkg(name: str, store: Path, workdir: Path) -> Server:
    workers = name.rsplit("-w", 1)[1]
    env = {"HEALTHKG_ISOLATION": '"thread"' if "-thread" in name else '"process"', "HEALTHKG_RELOAD_INTERVAL": "0"}
    if "-keep" in name:  # evaluators keep their copies of the store's pages (no retirement for memory)
        env["HEALTHKG_EVALUATOR_PRIVATE_MEMORY"] = "100000"
    return _spawn(name, [str(BIN / "healthkg"), "serve", "--store", str(store), "--host", "127.0.0.1", "--port",
                         "{port}", "--workers", workers], "/sparql", workdir, env=env)


def fork_cost(store: Path, repeat: int) -> dict[str, float]:
    """In a fresh single-threaded process: load the store as a worker does, then fork evaluators."""
    code = f"""
import json, statistics, time
from pathlib import Path
from healthkg.engine import Engine, EngineSettings, Query
engine = Engine(EngineSettings(Path({str(store)!r}), isolation="process"))
query = Query("SELECT ?s WHERE {{ ?s a <https://w3id.org/healthkg/ontology#Program> }} LIMIT 1")
forks, first, steady = [], [], []
for _ in range({repeat}):
    t = time.perf_counter(); engine.start(); forks.append(time.perf_counter() - t)
    t = time.perf_counter(); engine.run(query, use_cache=False); first.append(time.perf_counter() - t)
    t = time.perf_counter(); engine.run(query, use_cache=False); steady.append(time.perf_counter() - t)
print(json.dumps({{"fork_ms": statistics.median(forks) * 1000, "first_query_ms": statistics.median(first) * 1000,
                  "steady_query_ms": statistics.median(steady) * 1000}}))
"""
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=900)
    return json.loads(completed.stdout)  # type: ignore[no-any-return]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="100k")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--engines", default="healthkg-w2,healthkg-thread-w2,oxigraph-memory")
    parser.add_argument("--rounds", type=int, default=3, help="bursts per engine and request kind")
    parser.add_argument("--seconds", type=float, default=2.0, help="length of one burst")
    parser.add_argument("--analytical-rounds", type=int, default=5)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--settle", type=float, default=35.0, help="quiet seconds before PSS is measured again")
    parser.add_argument("--baseline-bin", type=Path, help="the healthkg command of another checkout, as `baseline`")
    parser.add_argument("--out", type=Path, default=HERE / "out" / f"contained-{datetime.now():%Y%m%dT%H%M%S}")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    data = dataset(args.size, args.seed, (HERE / "out" / "data").resolve())
    workload = Workload.load()
    floor_store = Store()
    floor_store.load(path=str(data), format=RdfFormat.N_QUADS)
    floor = StoreClient(floor_store)
    store, _ = healthkg_store(data, (HERE / "out" / f"store-{args.size}").resolve())
    record: dict[str, Any] = {"size": args.size, "machine": machine(), "loadavg": [loadavg()],
                              "started": datetime.now(timezone.utc).isoformat(), "fork": fork_cost(store, 10)}
    servers: dict[str, Server] = {}
    try:
        for name in [e for e in args.engines.split(",") if e]:
            workdir = out / "work" / name
            workdir.mkdir(parents=True, exist_ok=True)
            if name == "oxigraph-memory":
                servers[name] = start_oxigraph_memory(data, workdir)
            elif name == "baseline":
                servers[name] = _spawn(name, [str(args.baseline_bin), "serve", "--store", str(store), "--host",
                                              "127.0.0.1", "--port", "{port}"], "/sparql", workdir)
            else:
                servers[name] = start_healthkg(name, store, workdir)
        engines = list(servers)
        record["pss_start_kib"] = {name: pss_kib(server.pid) for name, server in servers.items()}
        programs = [b["program"]["value"] for b in json.loads(floor.run(workload.sample.text))["results"]["bindings"]]
        construct_query = replace(workload.point, text=CONSTRUCT)
        counter = count()

        def text_for(answer: str, program: str) -> str:
            return render(workload.point if answer == "select-json" else construct_query, {"program": program})

        def fresh(answer: str) -> Iterator[str]:
            """Texts never sent before: the programs in turn, each text made new by a numbered comment, so no
            answer can come from a cache (as a new program each time; there are fewer programs than requests)."""
            while True:
                number = next(counter)
                yield text_for(answer, programs[number % len(programs)]) + f"\n# request {number}"

        qps: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        cpu: dict[str, list[float]] = defaultdict(list)
        for round_no in range(args.rounds):
            for shape in SHAPES:
                for answer, accept in ANSWERS.items():
                    for variant in ("same", "new"):
                        key = f"{shape} {answer} {variant}"
                        for engine in engines[round_no % len(engines):] + engines[:round_no % len(engines)]:
                            texts = repeat(text_for(answer, programs[round_no])) if variant == "same" else fresh(answer)
                            before = cpu_seconds(servers[engine].pid)
                            rate = burst(lambda u=servers[engine].url, s=shape, a=accept: ShapeClient(u, s, a),
                                         texts, args.clients, args.seconds)
                            qps[key][engine].append(rate)
                            if variant == "new":
                                cpu[engine].append((cpu_seconds(servers[engine].pid) - before)
                                                   / max(1.0, rate * args.seconds) * 1000)
            record["loadavg"].append(loadavg())
        analytical: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        entity = {"entity": programs[len(programs) // 2]}
        texts_by_name = {q.name: render(q, entity if any(p.name == "entity" for p in q.params) else {})
                         for q in workload.analytical}
        clients = {e: ShapeClient(servers[e].url, "direct", ANSWERS["select-json"], no_cache=True) for e in engines}
        for round_no in range(args.analytical_rounds):
            for name, text in texts_by_name.items():
                for engine in [FLOOR, *engines][round_no % (len(engines) + 1):] + [FLOOR, *engines][
                        :round_no % (len(engines) + 1)]:
                    started = time.perf_counter()
                    (floor if engine == FLOOR else clients[engine]).run(text)
                    analytical[name][engine].append((time.perf_counter() - started) * 1000)
        record["loadavg"].append(loadavg())
        record["pss_end_kib"] = {name: pss_kib(server.pid) for name, server in servers.items()}
        # Evaluators keep copies of store pages while scans keep coming; after a quiet spell (the default
        # EVALUATOR_COPY_SECONDS) the next requests get them replaced by fresh forks sharing the store again.
        time.sleep(args.settle)
        for engine in engines:
            for program in programs[:20]:
                clients[engine].run(text_for("select-json", program))
        time.sleep(1)
        record["pss_settled_kib"] = {name: pss_kib(server.pid) for name, server in servers.items()}
        record.update(engines=engines, qps=qps, cpu_ms_per_request=cpu, analytical=analytical)
    finally:
        for server in servers.values():
            server.stop()
    (out / "contained.json").write_text(json.dumps(record, ensure_ascii=False, indent=2), "utf-8")
    print(render_markdown(record))
    return 0


def _paired(samples: dict[str, list[float]], engine: str, base: str) -> float:
    return statistics.median(a / b for a, b in zip(samples[engine], samples[base]) if a and b)


def render_markdown(record: dict[str, Any]) -> str:
    engines: list[str] = record["engines"]
    base = "oxigraph-memory" if "oxigraph-memory" in engines else engines[-1]
    lines = [f"### Contained server, {record['size']} (load average {' → '.join(str(x) for x in record['loadavg'])})",
             "", f"Point lookups, {len(engines) and 8} clients: median q/s over bursts (paired median ratio to {base})",
             "", "| request | " + " | ".join(engines) + " |", "|---" * (len(engines) + 1) + "|"]
    for key, samples in record["qps"].items():
        cells = [f"{statistics.median(samples[e]):,.0f}" + ("" if e == base else f" ({_paired(samples, e, base):.2f}×)")
                 for e in engines]
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    lines += ["", "Server CPU per request (new entity each time, all shapes), median ms: "
              + ", ".join(f"{e} {statistics.median(record['cpu_ms_per_request'][e]):.2f}" for e in engines), "",
              "Analytical, uncached: median ms (paired median ratio to the floor, pyoxigraph in process)", "",
              "| query | floor | " + " | ".join(engines) + " |", "|---" * (len(engines) + 2) + "|"]
    ratios: dict[str, list[float]] = defaultdict(list)
    for name, samples in record["analytical"].items():
        cells = [f"{statistics.median(samples[FLOOR]):.1f}"]
        for engine in engines:
            ratio = _paired(samples, engine, FLOOR)
            ratios[engine].append(ratio)
            cells.append(f"{statistics.median(samples[engine]):.1f} ({ratio:.2f}×)")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append("| **geometric mean** | – | " + " | ".join(f"{geomean(ratios[e]):.2f}×" for e in engines) + " |")
    lines += ["", "| engine | PSS at start MiB | right after the analytical queries | after a quiet spell | ×" + base
              + " (after the quiet spell) |", "|---|---|---|---|---|"]
    for engine in engines:
        start, end = record["pss_start_kib"][engine] / 1024, record["pss_end_kib"][engine] / 1024
        settled = record["pss_settled_kib"][engine] / 1024
        lines.append(f"| {engine} | {start:,.0f} | {end:,.0f} | {settled:,.0f} | "
                     f"{settled / (record['pss_settled_kib'][base] / 1024):.2f}× |")
    fork = record["fork"]
    lines += ["", f"Forking an evaluator from a worker holding the store: {fork['fork_ms']:.1f} ms (median of 10); "
              f"its first query {fork['first_query_ms']:.2f} ms, the next {fork['steady_query_ms']:.2f} ms."]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
