"""The SPARQL behind the pages: ``page_queries/*.rq`` beside this module, answered by the engine.

Pages need queries that are not part of the public catalogue (an entity's
statements, its budget lines, the ontology's terms, the explorer's
neighbourhoods); they use the catalogue's file format and parameter binding
all the same, so an IRI from a URL is bound as a typed term and never spliced
into query text. They go through :meth:`healthkg.engine.Engine.run` like a
client's query (result cache, deadline) and read its answer as SPARQL JSON or
N-Triples, all from the one snapshot a request started with.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from flask import g
from pyoxigraph import RdfFormat, Triple, parse
from werkzeug.exceptions import BadRequest

from healthkg.engine import Query
from healthkg.engine.served_graph import Snapshot
from healthkg.queries.catalogue import NamedQuery, ParameterError, parse_query
from healthkg.server.services import services


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
    entry = resources.files("healthkg.server.pages").joinpath("page_queries", f"{name}.rq")
    return parse_query(entry.read_text(encoding="utf-8"), name)


def snapshot() -> Snapshot:
    """The graph this request reads, taken once so a reload mid-request cannot mix two builds."""
    if "healthkg_snapshot" not in g:
        g.healthkg_snapshot = services().engine.snapshot()
    return g.healthkg_snapshot  # type: ignore[no-any-return]


def _read(query: Query) -> bytes:
    return services().engine.run(query, snapshot=snapshot()).read()


def render(name: str, params: dict[str, str]) -> str:
    """A page query's text with ``params`` bound; a value that does not fit its type is the client's error (400)."""
    try:
        return page_query(name).render(params)
    except ParameterError as error:
        raise BadRequest(str(error)) from error


def results(name: str, params: dict[str, str]) -> dict[str, Any]:
    """The SPARQL JSON results of a page query of SELECT or ASK."""
    return json.loads(_read(Query(render(name, params), results_format="json")))  # type: ignore[no-any-return]


def select(name: str, **params: str) -> list[Row]:
    """Rows of a page query; unbound columns are absent from a row."""
    return [
        {column: Term.from_json(value) for column, value in binding.items()}
        for binding in results(name, params)["results"]["bindings"]
    ]


def ask(name: str, **params: str) -> bool:
    return bool(results(name, params)["boolean"])


def construct(name: str, **params: str) -> list[Triple]:
    """Triples of a page query of CONSTRUCT or DESCRIBE, as pyoxigraph terms ready to serialise."""
    data = _read(Query(render(name, params), graph_format="ntriples"))
    return [quad.triple for quad in parse(data, format=RdfFormat.N_TRIPLES)]
