"""Where a healthkg server spends its time under load: py-spy on `healthkg serve` while 8 clients drive it.

Profile before optimising: this starts the server on a synthetic size, records it
with py-spy (``--nonblocking``, so the target is never paused) while the harness's
clients send point lookups or the analytical mix, and prints the functions with
the largest inclusive and self shares of the samples. Time inside pyoxigraph's
native code is charged to the Python line that called it.

Usage: ``python bench/profile.py --size 100k --workload point --no-cache --seconds 20``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from engines import BIN, _die_with_parent, start_healthkg
from harness import HttpClient, throughput
from run import HERE, dataset
from workload import Workload, render


def _function(frame: str) -> str:
    """``name (file.py:12)`` → ``name (file.py)``: inclusive shares are per function, not per line."""
    name, _, where = frame.partition(" (")
    return f"{name} ({where.rsplit(':', 1)[0]})" if where else name


def summarise(raw: Path, top: int) -> str:
    """Inclusive and self shares per function from py-spy's collapsed stacks (``a;b;c count``)."""
    inclusive: Counter[str] = Counter()
    leaf: Counter[str] = Counter()
    total = 0
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        for frame in {_function(frame) for frame in stack.split(";")}:
            inclusive[frame] += count
        leaf[stack.split(";")[-1]] += count
    if not total:
        return "no samples"
    lines = [f"{total} samples", "", "inclusive:"]
    lines += [f"  {100 * n / total:5.1f}%  {frame}" for frame, n in inclusive.most_common(top)]
    lines += ["", "self (leaf line):"]
    lines += [f"  {100 * n / total:5.1f}%  {frame}" for frame, n in leaf.most_common(top)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="100k")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workload", choices=("point", "analytical"), default="point")
    parser.add_argument("--no-cache", action="store_true", help="send Cache-Control: no-cache")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--gil", action="store_true", help="sample only the thread holding the GIL (py-spy --gil)")
    parser.add_argument("--out", type=Path, default=HERE / "out" / "profile")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    data = dataset(args.size, args.seed, (HERE / "out" / "data").resolve())
    workload = Workload.load()
    server = start_healthkg(data, out)
    try:
        client = HttpClient(server.url, 120)
        programs = [b["program"]["value"] for b in json.loads(client.run(workload.sample.text))["results"]["bindings"]]
        if args.workload == "point":
            texts = [render(workload.point, {"program": p}) for p in programs]
        else:
            entity = {"entity": programs[len(programs) // 2]}
            texts = [
                render(q, entity if q.params and q.params[0].name == "entity" else {}) for q in workload.analytical
            ]

        def endless() -> Iterator[str]:
            while True:
                yield from texts

        raw = out / f"{args.size}-{args.workload}{'-nocache' if args.no_cache else ''}{'-gil' if args.gil else ''}.raw"
        recorder = subprocess.Popen(
            [
                str(BIN / "py-spy"),
                "record",
                "--pid",
                str(server.pid),
                "--subprocesses",  # the gunicorn master serves nothing: its workers and their evaluators do
                "--duration",
                str(int(args.seconds)),
                "--rate",
                "100",
                "--nonblocking",
                "--format",
                "raw",
                "--output",
                str(raw),
                *(["--gil"] if args.gil else []),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=_die_with_parent,
        )
        result: dict[str, object] = {}
        driver = threading.Thread(
            target=lambda: result.update(
                vars(
                    throughput(
                        lambda: HttpClient(server.url, 120, args.no_cache), endless(), args.clients, 10**9, args.seconds
                    )
                )
            )
        )
        driver.start()
        driver.join()
        _, errors = recorder.communicate(timeout=args.seconds + 60)
        if recorder.returncode != 0:
            print(f"py-spy failed: {errors.decode(errors='replace')[-500:]}", file=sys.stderr)
            return 1
    finally:
        server.stop()
    print(
        f"{args.workload}, {args.clients} clients, {'no-cache' if args.no_cache else 'cache allowed'}: "
        f"{result.get('qps')} q/s, median {result.get('median_ms')} ms, p95 {result.get('p95_ms')} ms"
    )
    print(summarise(raw, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
