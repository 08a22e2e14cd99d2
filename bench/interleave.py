"""Paired comparison on a noisy machine: every engine up at once, measurements interleaved round by round.

``run.py`` runs engines one after another, so a burst of load from anything
else on the machine lands on whichever engine is running. Here all servers
are loaded and idle side by side, and each round times the same query (or a
short point-lookup burst) on every engine in turn, in a rotating order; the
ratio to the floor (or to Oxigraph) is taken per round and the median of those
paired ratios is reported, which cancels most of the drift.

Usage: ``python bench/interleave.py --size 1M --rounds 7`` (prints Markdown, writes JSON next to it).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from engines import STARTERS, Server
from harness import Client, HttpClient, StoreClient, memory, rows, throughput
from pyoxigraph import RdfFormat, Store
from report import geomean
from run import HERE, dataset, loadavg, machine
from workload import Workload, render

FLOOR = "floor"


def rotate(items: list[str], by: int) -> list[str]:
    return items[by % len(items):] + items[:by % len(items)]


def paired(samples: dict[str, list[float]], engine: str, base: str) -> float | None:
    ratios = [a / b for a, b in zip(samples.get(engine, []), samples.get(base, [])) if a and b]
    return statistics.median(ratios) if ratios else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="100k")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--engines", default="healthkg,oxigraph-memory,oxigraph-disk")
    parser.add_argument("--rounds", type=int, default=7, help="timed runs per query and engine (the first is cold)")
    parser.add_argument("--bursts", type=int, default=5, help="point-lookup bursts per engine and kind")
    parser.add_argument("--burst-seconds", type=float, default=3.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--out", type=Path, default=HERE / "out" / f"interleave-{datetime.now():%Y%m%dT%H%M%S}")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    data = dataset(args.size, args.seed, (HERE / "out" / "data").resolve())
    workload = Workload.load()

    before = memory(os.getpid())["VmRSS"]
    started = time.perf_counter()
    store = Store()
    store.load(path=str(data), format=RdfFormat.N_QUADS)  # as healthkg fills its store: the faster layout
    record: dict[str, Any] = {
        "size": args.size,
        "machine": machine(),
        "started": datetime.now(timezone.utc).isoformat(),
        "load_seconds": {FLOOR: round(time.perf_counter() - started, 2)},
        "rss_kb": {FLOOR: memory(os.getpid())["VmRSS"] - before},
        "loadavg": [loadavg()],
    }
    servers: dict[str, Server] = {}
    try:
        for name in [e for e in args.engines.split(",") if e]:
            workdir = out / "work" / name
            workdir.mkdir(parents=True, exist_ok=True)
            servers[name] = STARTERS[name](data, workdir)
            record["load_seconds"][name] = servers[name].load_seconds
        engines = [FLOOR, *servers]

        def client(engine: str, no_cache: bool) -> Client:
            return StoreClient(store) if engine == FLOOR else HttpClient(servers[engine].url, 300, no_cache)

        uncached = {e: client(e, True) for e in engines}
        cached = {e: client(e, False) for e in engines}
        programs = [
            b["program"]["value"] for b in json.loads(uncached[FLOOR].run(workload.sample.text))["results"]["bindings"]
        ]
        entity = {"entity": programs[len(programs) // 2]}
        texts = {
            q.name: render(q, entity if any(p.name == "entity" for p in q.params) else {}) for q in workload.analytical
        }

        latency: dict[str, dict[str, dict[str, list[float]]]] = {
            k: defaultdict(lambda: defaultdict(list)) for k in ("cold", "uncached", "cached")
        }
        row_counts: dict[str, dict[str, int]] = defaultdict(dict)
        for round_no in range(args.rounds):
            for name, text in texts.items():
                for engine in rotate(engines, round_no):
                    t0 = time.perf_counter()
                    payload = uncached[engine].run(text)
                    seconds = time.perf_counter() - t0
                    if round_no == 0:
                        latency["cold"][name][engine].append(seconds * 1000)
                        row_counts[name][engine] = rows(payload)
                    else:
                        latency["uncached"][name][engine].append(seconds * 1000)
        for round_no in range(max(2, args.rounds // 2)):
            for name, text in texts.items():
                for engine in rotate(engines, round_no):
                    t0 = time.perf_counter()
                    cached[engine].run(text)
                    latency["cached"][name][engine].append((time.perf_counter() - t0) * 1000)
        record["loadavg"].append(loadavg())

        per_burst = max(8, min(800, (len(programs) - 32) // args.bursts))
        pools: dict[str, Iterator[str]] = {e: iter(programs[32:]) for e in engines}
        hot = programs[:32]

        def point_texts(source: Iterator[str], limit: int) -> Iterator[str]:
            for _, program in zip(range(limit), source):
                yield render(workload.point, {"program": program})

        def cycle(items: list[str]) -> Iterator[str]:
            while True:
                yield from (render(workload.point, {"program": p}) for p in items)

        qps: dict[str, dict[str, list[float]]] = {k: defaultdict(list) for k in ("cold", "warm", "uncached")}
        for engine in engines:  # warm the hot set once so "warm" means already answered
            for program in hot:
                cached[engine].run(render(workload.point, {"program": program}))
        for burst in range(args.bursts):
            for engine in rotate(engines, burst):
                runs: dict[str, tuple[Callable[[], Client], Iterator[str], int]] = {
                    "cold": (lambda e=engine: client(e, False), point_texts(pools[engine], per_burst), per_burst),
                    "warm": (lambda e=engine: client(e, False), cycle(hot), 10**9),
                    "uncached": (lambda e=engine: client(e, True), cycle(hot), 10**9),
                }
                for kind, (factory, source, limit) in runs.items():
                    qps[kind][engine].append(throughput(factory, source, args.clients, limit, args.burst_seconds).qps)
        record["loadavg"].append(loadavg())
        record["rss_kb"].update({name: memory(server.pid)["VmRSS"] for name, server in servers.items()})
        record["hwm_kb"] = {name: memory(server.pid)["VmHWM"] for name, server in servers.items()}
    finally:
        for server in servers.values():
            server.stop()
    record.update(latency=latency, qps=qps, rows=row_counts, engines=engines, per_burst=per_burst)
    (out / "interleave.json").write_text(json.dumps(record, ensure_ascii=False, indent=2), "utf-8")
    print(render_markdown(record))
    return 0


def render_markdown(record: dict[str, Any]) -> str:
    engines: list[str] = record["engines"]
    servers = [e for e in engines if e != FLOOR]
    lines = [f"### Interleaved, {record['size']} (load average {' → '.join(str(x) for x in record['loadavg'])})", ""]
    for kind, title in (
        ("cold", "cold (first run)"),
        ("uncached", "warm, Cache-Control: no-cache"),
        ("cached", "warm, cache allowed"),
    ):
        lines += [
            f"Analytical, {title}: median ms (paired median ratio to the floor)",
            "",
            "| query | " + " | ".join(engines) + " |",
            "|---" * (len(engines) + 1) + "|",
        ]
        per_engine: dict[str, list[float]] = defaultdict(list)
        for name, samples in record["latency"][kind].items():
            cells = []
            for engine in engines:
                ratio = paired(samples, engine, FLOOR)
                if ratio is not None and engine != FLOOR:
                    per_engine[engine].append(ratio)
                cells.append(
                    f"{statistics.median(samples[engine]):.1f}" + ("" if engine == FLOOR else f" ({ratio:.2f}×)")
                )
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines.append(
            "| **geometric mean** | – | " + " | ".join(f"{geomean(per_engine[e]):.2f}×" for e in servers) + " |"
        )
        lines.append("")
    lines += [
        f"Point lookups, {record.get('per_burst')} fresh programs per cold burst: median q/s over bursts "
        "(paired median ratio to oxigraph-memory / oxigraph-disk)",
        "",
        "| engine | cold | warm (hot set) | warm, no-cache |",
        "|---|---|---|---|",
    ]
    for engine in engines:
        cells = []
        for kind in ("cold", "warm", "uncached"):
            samples = record["qps"][kind]
            cell = f"{statistics.median(samples[engine]):,.0f}"
            ratios = [
                f"{r:.2f}×" if (r := paired(samples, engine, base)) is not None else "—"
                for base in ("oxigraph-memory", "oxigraph-disk")
                if base in samples
            ]
            cells.append(cell + (f" ({' / '.join(ratios)})" if ratios else ""))
        lines.append(f"| {engine} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "| engine | ready after s | RSS MiB (floor: growth of the client process) | peak MiB |",
        "|---|---|---|---|",
    ]
    for engine in engines:
        lines.append(
            f"| {engine} | {record['load_seconds'].get(engine, 0):.1f} | {record['rss_kb'][engine] / 1024:,.0f} | "
            f"{record.get('hwm_kb', {}).get(engine, 0) / 1024:,.0f} |"
        )
    mismatched = [f"{name}: {counts}" for name, counts in record["rows"].items() if len(set(counts.values())) > 1]
    if mismatched:
        lines += ["", "Row counts differ: " + "; ".join(mismatched)]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
