"""Where pyoxigraph's SPARQL parser fails: the sizes behind the guard's defaults (engine/guard.py).

Each text is parsed and evaluated by pyoxigraph in a fresh process, on the main thread (8 MiB stack by
default) or on a thread with ``--stack-mib`` of stack (the evaluator's is 256), doubling its size until
the process dies or runs past ``--timeout`` seconds. Prints one line per shape: (size, exit code or
``timeout``, seconds).

Usage: ``python bench/parser_limits.py [--stack-mib 256] [shape ...]``
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable

SHAPES: dict[str, Callable[[int], str]] = {
    "nested-functions": lambda n: "ASK { FILTER(" + "STR(" * n + "1" + ")" * n + ") }",
    "nested-groups": lambda n: "ASK " + "{ " * n + "} " * n,
    "nested-parentheses": lambda n: "ASK { FILTER(" + "(" * n + "1" + ")" * n + ") }",
    "nested-optional": lambda n: "ASK { " + "OPTIONAL { " * n + "}" * n + " }",
    "nested-subqueries": lambda n: "ASK { " + "{ SELECT * WHERE " * n + "{}" + " }" * n + " }",
    "optional-sequence": lambda n: "ASK { " + "OPTIONAL { } " * n + " }",
    "minus-sequence": lambda n: "ASK { " + "MINUS { } " * n + " }",
    "bind-sequence": lambda n: "ASK { " + " ".join(f"BIND(1 AS ?v{i})" for i in range(n)) + " }",
    "sum": lambda n: "ASK { FILTER(" + "+".join(["1"] * n) + ") }",
    "conjunction": lambda n: "ASK { FILTER(" + "&&".join(["true"] * n) + ") }",
    "union": lambda n: "ASK { " + " UNION ".join(["{}"] * n) + " }",
    "path-alternatives": lambda n: "ASK { ?s " + "|".join(["<p>"] * n) + " ?o }",
    "path-sequence": lambda n: "ASK { ?s " + "/".join(["<p>"] * n) + " ?o }",
    "nested-blank-nodes": lambda n: "ASK { ?s ?p " + "[ ?p " * n + "1" + " ]" * n + " }",
    "nested-collections": lambda n: "ASK { ?s ?p " + "( " * n + "1" + " )" * n + " }",
}
PROBE = """
import sys, threading, pyoxigraph
text, stack = sys.stdin.read(), int(sys.argv[1])
def run():
    try:
        result = pyoxigraph.Store().query(text, base_iri="http://e/")
        bool(result) if isinstance(result, pyoxigraph.QueryBoolean) else list(result)
    except SyntaxError as error:
        print("syntax error", error)
if stack:
    threading.stack_size(stack * 1024 * 1024)
    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
else:
    run()
"""


def probe(text: str, stack_mib: int, timeout: float) -> tuple[str, float]:
    started = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-c", PROBE, str(stack_mib)], input=text.encode(), capture_output=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout", time.perf_counter() - started
    outcome = str(done.returncode) if not done.stdout else done.stdout.decode().strip()[:60]
    return outcome, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("shapes", nargs="*", default=list(SHAPES))
    parser.add_argument("--stack-mib", type=int, default=0, help="run on a thread with this stack (0: main thread)")
    parser.add_argument("--start", type=int, default=100)
    parser.add_argument("--largest", type=int, default=64_000)
    parser.add_argument("--timeout", type=float, default=20.0)
    args = parser.parse_args(argv)
    for shape in args.shapes:
        size, results = args.start, []
        while size <= args.largest:
            outcome, seconds = probe(SHAPES[shape](size), args.stack_mib, args.timeout)
            results.append((size, outcome, round(seconds, 2)))
            if outcome != "0":
                break
            size *= 2
        print(shape, results, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
