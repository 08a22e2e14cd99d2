"""Markdown tables from a run's results.json: medians over repeats, and ratios to the floor and to Oxigraph.

Usage: ``python bench/report.py bench/out/<stamp>/results.json`` (prints the report).
"""

from __future__ import annotations

import json
import math
import statistics
import sys
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

FLOOR = "pyoxigraph-in-process"
SERVER = "healthkg"
OXI_DISK, OXI_MEMORY = "oxigraph-disk", "oxigraph-memory"



def _spread(runs: Runs, engine: str, key: str) -> str:
    """Median and 95th percentile of one point-lookup phase, as a table cell."""
    return f"{_ms(runs.figure(engine, f'{key}.median_ms'))} / {_ms(runs.figure(engine, f'{key}.p95_ms'))}"

def _median(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _get(result: dict[str, Any], path: str) -> Any:
    node: Any = result
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


class Runs:
    """The successful runs of one size, by engine; every figure is the median over repeats."""

    def __init__(self, runs: list[dict[str, Any]]) -> None:
        self.by_engine: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.failed: dict[str, str] = {}
        for run in runs:
            if "result" in run:
                self.by_engine[run["engine"]].append(run)
            else:
                self.failed[run["engine"]] = run.get("error", "no result")
        self.engines = [e for e in (FLOOR, SERVER, "healthkg-disk", OXI_DISK, OXI_MEMORY, "rdflib-endpoint")
                        if e in self.by_engine] + sorted(set(self.by_engine) - {FLOOR, SERVER, "healthkg-disk",
                                                                               OXI_DISK, OXI_MEMORY, "rdflib-endpoint"})

    def figure(self, engine: str, path: str) -> float | None:
        return _median(_get(run["result"], path) for run in self.by_engine.get(engine, []))

    def top(self, engine: str, key: str) -> float | None:
        return _median(run.get(key) for run in self.by_engine.get(engine, []))

    def queries(self) -> list[str]:
        names: set[str] = set()
        for runs in self.by_engine.values():
            for run in runs:
                names.update(run["result"].get("queries", {}))
        return sorted(names)

    def repeats(self, engine: str) -> int:
        return len(self.by_engine.get(engine, []))

    def capped(self, engine: str) -> bool:
        return any(run.get("capped") for run in self.by_engine.get(engine, []))


def _ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def _ratio(value: float | None, base: float | None) -> float | None:
    if value is None or not base:
        return None
    return value / base


def _x(ratio: float | None) -> str:
    return "—" if ratio is None else f"{ratio:.2f}×"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def geomean(values: list[float]) -> float | None:
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


def analytical_table(runs: Runs, phase: str) -> str:
    """``phase`` is cold, warm or uncached (warm, sent with Cache-Control: no-cache)."""
    key = "cold_ms" if phase == "cold" else f"{phase}.median_ms"
    header = ["query", *runs.engines]
    rows, ratios = [], defaultdict(list)
    for name in runs.queries():
        base = runs.figure(FLOOR, f"queries.{name}.{key}")
        row = [name]
        for engine in runs.engines:
            value = runs.figure(engine, f"queries.{name}.{key}")
            ratio = _ratio(value, base)
            if ratio is not None:
                ratios[engine].append(ratio)
            cell = _ms(value)
            if phase != "cold":
                cell += f" / {_ms(runs.figure(engine, f'queries.{name}.{phase}.p95_ms'))}"
            row.append(cell if engine == FLOOR else f"{cell} ({_x(ratio)})")
        rows.append(row)
    rows.append(
        ["**geometric mean ×floor**", *[_x(geomean(ratios[e])) if e != FLOOR else "1.00×" for e in runs.engines]]
    )
    return _table(header, rows)


def rows_check(runs: Runs) -> list[str]:
    notes = []
    for name in runs.queries():
        counts = {e: runs.figure(e, f"queries.{name}.rows") for e in runs.engines}
        if len({c for c in counts.values() if c is not None}) > 1:
            notes.append(f"`{name}` row counts differ: " + ", ".join(f"{e} {c}" for e, c in counts.items()))
    return notes


def point_table(runs: Runs) -> str:
    header = [
        "engine",
        "cold 8 clients q/s",
        "cold p50/p95 ms",
        "warm 1 client q/s",
        "warm 4 q/s",
        "warm 8 q/s",
        "warm 8 p50/p95 ms",
        "uncached 8 q/s",
        f"cold 8 ×{OXI_DISK}",
        f"warm 8 ×{OXI_DISK}",
        f"warm 8 ×{OXI_MEMORY}",
        f"uncached 8 ×{OXI_MEMORY}",
    ]
    rows = []
    for engine in runs.engines:
        cold, warm = runs.figure(engine, "point_cold_8.qps"), runs.figure(engine, "point_warm_8.qps")
        rows.append(
            [
                engine,
                f"{cold or 0:,.0f} (n={runs.figure(engine, 'point_cold_8.n') or 0:.0f})",
                _spread(runs, engine, "point_cold_8"),
                f"{runs.figure(engine, 'point_warm_1.qps') or 0:,.0f}",
                f"{runs.figure(engine, 'point_warm_4.qps') or 0:,.0f}",
                f"{warm or 0:,.0f}",
                _spread(runs, engine, "point_warm_8"),
                f"{runs.figure(engine, 'point_uncached_8.qps') or 0:,.0f}",
                _x(_ratio(cold, runs.figure(OXI_DISK, "point_cold_8.qps"))),
                _x(_ratio(warm, runs.figure(OXI_DISK, "point_warm_8.qps"))),
                _x(_ratio(warm, runs.figure(OXI_MEMORY, "point_warm_8.qps"))),
                _x(
                    _ratio(runs.figure(engine, "point_uncached_8.qps"), runs.figure(OXI_MEMORY, "point_uncached_8.qps"))
                ),
            ]
        )
    return _table(header, rows)


def mib(kb: float | None) -> str:
    return "—" if kb is None else f"{kb / 1024:,.0f}"


def memory_table(runs: Runs) -> str:
    header = [
        "engine",
        "repeats",
        "ready after s",
        "RSS after load MiB",
        "RSS after run MiB",
        "peak (HWM) MiB",
        f"RSS after run ×{OXI_MEMORY}",
        "analytical mix 4 clients q/s (uncached)",
        "loadavg before→after",
    ]
    rows = []
    for engine in runs.engines:
        after = runs.figure(engine, "memory_after.VmRSS")
        rows.append(
            [
                engine + (" (capped)" if runs.capped(engine) else ""),
                str(runs.repeats(engine)),
                f"{runs.top(engine, 'load_seconds') or 0:.1f}",
                mib(runs.figure(engine, "memory_before.VmRSS")),
                mib(after),
                mib(runs.figure(engine, "memory_after.VmHWM")),
                _x(_ratio(after, runs.figure(OXI_MEMORY, "memory_after.VmRSS"))),
                f"{runs.figure(engine, 'mix_4.qps') or 0:,.2f} ({runs.figure(engine, 'mix_uncached_4.qps') or 0:,.2f})",
                f"{runs.top(engine, 'loadavg_before') or 0:.1f}→{runs.top(engine, 'loadavg_after') or 0:.1f}",
            ]
        )
    return _table(header, rows)


def targets(runs: Runs, size: str) -> str:
    lines = [f"Targets checked at {size} ({SERVER} vs floor and Oxigraph, medians over repeats):"]
    for phase, what in (
        ("cold", "cold (first run)"),
        ("warm", "warm (result cache allowed)"),
        ("uncached", "warm, cache bypassed"),
    ):
        key = "cold_ms" if phase == "cold" else f"{phase}.median_ms"
        ratios = [
            r
            for name in runs.queries()
            if (r := _ratio(runs.figure(SERVER, f"queries.{name}.{key}"), runs.figure(FLOOR, f"queries.{name}.{key}")))
            is not None
        ]
        if ratios:
            worst = max(ratios)
            lines.append(
                f"- analytical median ≤ 1.1× floor, {what}: worst query {worst:.2f}×, geometric mean "
                f"{geomean(ratios):.2f}× → {'met' if worst <= 1.1 else 'NOT met'}"
            )
    for phase in ("cold", "warm"):
        mine = runs.figure(SERVER, f"point_{phase}_8.qps")
        for other in (OXI_DISK, OXI_MEMORY):
            ratio = _ratio(mine, runs.figure(other, f"point_{phase}_8.qps"))
            if ratio is not None:
                lines.append(
                    f"- point lookups, 8 clients, {phase}: {ratio:.2f}× {other} → "
                    f"{'met' if ratio >= 1.0 else 'NOT met'}"
                )
    ratio = _ratio(runs.figure(SERVER, "memory_after.VmRSS"), runs.figure(OXI_MEMORY, "memory_after.VmRSS"))
    if ratio is not None:
        lines.append(f"- RSS ≤ 1.1× {OXI_MEMORY}: {ratio:.2f}× → {'met' if ratio <= 1.1 else 'NOT met'}")
    return "\n".join(lines)


def render_report(results: dict[str, Any]) -> str:
    by_size: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for run in results["runs"]:
        by_size[run["size"]].append(run)
    meta = results["machine"]
    out = [
        f"# Benchmark run {results['started']}",
        "",
        f"Machine: {meta['cpu']}, {meta['cores']} cores, {meta['memory_gb']} GB; Python {meta['python']}; "
        f"{results.get('oxigraph_cli', '')}; versions {json.dumps(meta['versions'])}; seed {results['seed']}; "
        f"parameter binding `{results['binding']}`.",
        "",
    ]
    for size, size_runs in by_size.items():
        runs = Runs(size_runs)
        out += [
            f"## {size} ({size_runs[0]['quads']:,} quads)",
            "",
            "Warm analytical latency, one client: median / p95 ms (median ×floor):",
            "",
            analytical_table(runs, "warm"),
            "",
            "Warm analytical latency with `Cache-Control: no-cache` (engine cost, no result cache): median / p95 ms:",
            "",
            analytical_table(runs, "uncached"),
            "",
            "Cold analytical latency (first run after start), ms:",
            "",
            analytical_table(runs, "cold"),
            "",
            "Point lookups (a different program per request):",
            "",
            point_table(runs),
            "",
            "Load, memory, analytical throughput, machine load:",
            "",
            memory_table(runs),
            "",
            targets(runs, size),
            "",
        ]
        out += [f"- {note}" for note in rows_check(runs)]
        out += [f"- {engine} failed: {error[:300]}" for engine, error in runs.failed.items()]
        out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    paths = argv if argv is not None else sys.argv[1:]
    if len(paths) != 1:
        print("usage: report.py RESULTS.json", file=sys.stderr)
        return 2
    print(render_report(json.loads(Path(paths[0]).read_text(encoding="utf-8"))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
