"""Quality-control queries in the ODK style: each ``qc/*-violation.rq`` must return no rows."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from pyoxigraph import QuerySolutions, Store


@dataclass(frozen=True)
class Violation:
    check: str
    row: dict[str, str]

    def __str__(self) -> str:
        details = ", ".join(f"{key}={value}" for key, value in self.row.items())
        return f"{self.check}: {details}"


def qc_queries() -> dict[str, str]:
    folder = resources.files("healthkg.ontology").joinpath("qc")
    return {
        entry.name.removesuffix(".rq"): entry.read_text(encoding="utf-8")
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith("-violation.rq")
    }


def run_qc(store: Store) -> list[Violation]:
    """Every row of every violation query, then every SHACL result, on the union of the store's graphs."""
    from healthkg.checks.validation import shacl_violations, store_graph

    found = []
    for name, text in qc_queries().items():
        results = store.query(text, use_default_graph_as_union=True)
        assert isinstance(results, QuerySolutions)
        variables = [v.value for v in results.variables]
        for solution in results:
            found.append(Violation(name, {v: str(solution[v]) for v in variables if solution[v] is not None}))
    found.extend(shacl_violations(store_graph(store)))
    return found
