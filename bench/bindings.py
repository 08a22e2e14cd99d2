"""What the named-query binding costs: every parameterised named query, bound the API's way and inline.

The catalogue binds parameters through a VALUES block at the top of the WHERE
clause (``NamedQuery.render``). Engines plan that differently from the same
term written in place: a VALUES row may not be pushed into an OPTIONAL or a
UNION, and a REGEX whose pattern is a variable is compiled again for every row.
This times each parameterised query of ``queries/`` and the server's page
queries both ways on the in-process floor, so the cost is measured, not guessed.

Usage: ``python bench/bindings.py --size 1M`` (prints a Markdown table).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from importlib import resources
from pathlib import Path

from harness import StoreClient
from pyoxigraph import RdfFormat, Store
from run import HERE, dataset
from workload import Workload, render

from healthkg.queries.catalogue import NamedQuery, ParameterError, catalogue, parse_query


def page_queries() -> list[NamedQuery]:
    folder = resources.files("healthkg.server.pages").joinpath("page_queries")
    if not folder.is_dir():
        return []
    return [parse_query(entry.read_text(encoding="utf-8"), f"page:{entry.name[:-3]}")
            for entry in sorted(folder.iterdir(), key=lambda e: e.name) if entry.name.endswith(".rq")]


def sample_values(query: NamedQuery, program: str) -> dict[str, str]:
    """A value per parameter that the synthetic graph can answer: a program IRI, がん, 2020, an enum's first."""
    values = {}
    for parameter in query.params:
        if parameter.enum:
            values[parameter.name] = parameter.enum[0]
        elif parameter.type == "iri":
            values[parameter.name] = program
        elif parameter.type == "integer":
            values[parameter.name] = "2020"
        elif parameter.type in ("string", "search"):
            values[parameter.name] = "がん"
    return values


def timed(client: StoreClient, text: str, reps: int, limit: float) -> float:
    samples: list[float] = []
    deadline = time.monotonic() + limit
    while len(samples) < reps and (not samples or time.monotonic() < deadline):
        started = time.perf_counter()
        client.run(text)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="100k")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=20.0, help="stop repeating one query after this long")
    args = parser.parse_args(argv)
    data: Path = dataset(args.size, args.seed, (HERE / "out" / "data").resolve())
    store = Store()
    store.load(path=str(data), format=RdfFormat.N_QUADS)  # as healthkg fills its store: the faster layout
    client = StoreClient(store)
    workload = Workload.load()
    programs = [row["program"].value for row in store.query(workload.sample.text, use_default_graph_as_union=True)]
    program = programs[len(programs) // 2]
    print(f"{args.size}: median ms of {args.reps} runs, in-process pyoxigraph\n")
    print("| query | parameters | VALUES at top of WHERE (API) | inline | ratio |\n|---|---|---|---|---|")
    for query in [*catalogue().values(), *page_queries(), workload.point]:
        values = sample_values(query, program)
        if not values:
            continue
        try:
            api, inline = render(query, values, "where"), render(query, values, "inline")
        except ParameterError as error:
            print(f"| {query.name} | {error} | | | |")
            continue
        where_ms, inline_ms = (
            timed(client, api, args.reps, args.seconds),
            timed(client, inline, args.reps, args.seconds),
        )
        shown = ", ".join(f"{k}={v.rsplit('/', 1)[-1]}" for k, v in values.items())
        print(f"| {query.name} | {shown} | {where_ms:,.1f} | {inline_ms:,.1f} | {where_ms / inline_ms:,.1f}× |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
