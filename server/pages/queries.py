"""The SPARQL behind the pages: ``page_queries/*.rq`` beside this module, run on the served graph.

Pages need queries that are not part of the public catalogue (an entity's statements,
its budget lines, the ontology's terms); they use the catalogue's file format and
parameter binding all the same, so an IRI from a URL is bound as a typed term and
never spliced into query text.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from flask import g
from pyoxigraph import RdfFormat, Triple, parse

from healthkg.engine.backends import LocalBackend, RemoteBackend
from healthkg.queries.catalogue import NamedQuery, parse_query
from healthkg.server.graph import Snapshot, graph_service


@dataclass(frozen=True)
class Term:
    """One RDF term of a result row, as the SPARQL JSON results format gives it."""

    kind: str
    value: str
    lang: str = ""
    datatype: str = ""

    @classmethod
    def from_json(cls, binding: dict[str, str]) -> Term:
        kind = "literal" if binding["type"] == "typed-literal" else binding["type"]
        return cls(kind, binding["value"], binding.get("xml:lang", ""), binding.get("datatype", ""))

    @property
    def is_iri(self) -> bool:
        return self.kind == "uri"

    @property
    def is_literal(self) -> bool:
        return self.kind == "literal"

    def __str__(self) -> str:
        return self.value


Row = dict[str, Term]


@cache
def page_query(name: str) -> NamedQuery:
    text = resources.files("healthkg.server").joinpath("page_queries", f"{name}.rq").read_text(encoding="utf-8")
    return parse_query(text, name)


def snapshot() -> Snapshot:
    """The graph this request reads, taken once so a reload mid-request cannot mix two builds."""
    if "healthkg_snapshot" not in g:
        g.healthkg_snapshot = graph_service().snapshot()
    return g.healthkg_snapshot  # type: ignore[no-any-return]


def _backend() -> LocalBackend | RemoteBackend:
    return snapshot().backend


def select(name: str, **params: str) -> list[Row]:
    """Rows of a page query; unbound columns are absent from a row."""
    results: dict[str, Any] = _backend().select(page_query(name).render(params))
    return [
        {column: Term.from_json(value) for column, value in binding.items()}
        for binding in results["results"]["bindings"]
    ]


def ask(name: str, **params: str) -> bool:
    return bool(_backend().select(page_query(name).render(params))["boolean"])


def construct_text(text: str) -> list[Triple]:
    """Triples of a CONSTRUCT or DESCRIBE query, as pyoxigraph terms ready to serialise."""
    data = _backend().construct(text)
    return [quad.triple for quad in parse(data, format=RdfFormat.N_TRIPLES)]


def construct(name: str, **params: str) -> list[Triple]:
    return construct_text(page_query(name).render(params))
