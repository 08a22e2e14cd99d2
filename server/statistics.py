"""Figures of the served graph (triples per named graph, distinct terms, entities per class) for the
service description and the VoID description.

They come from the queries in ``service_queries/`` through the engine, and are
kept per graph version: a scan of the whole graph is worth doing once per build
or update, whatever the result cache has room for.
"""

from __future__ import annotations

import json
import threading
from functools import cache
from importlib import resources
from typing import Any

from healthkg.engine import Engine, Query
from healthkg.engine.served_graph import Snapshot
from healthkg.queries.catalogue import NamedQuery, parse_query


@cache
def _service_query(name: str) -> NamedQuery:
    entry = resources.files("healthkg.server").joinpath("service_queries", f"{name}.rq")
    return parse_query(entry.read_text(encoding="utf-8"), name)


class Statistics:
    """Rows of the service queries, computed once per snapshot version."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._version = ""
        self._rows: dict[str, list[dict[str, Any]]] = {}

    def rows(self, snapshot: Snapshot, name: str) -> list[dict[str, Any]]:
        with self._lock:
            if self._version != snapshot.version:
                self._version, self._rows = snapshot.version, {}
            if name not in self._rows:
                answer = self.engine.run(Query(_service_query(name).text), snapshot=snapshot)
                self._rows[name] = json.loads(answer.read())["results"]["bindings"]
            return self._rows[name]

    def graph_sizes(self, snapshot: Snapshot) -> dict[str, int]:
        return {row["graph"]["value"]: int(row["triples"]["value"]) for row in self.rows(snapshot, "graph-sizes")}
