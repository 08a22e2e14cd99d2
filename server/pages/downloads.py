"""Downloads of the built graph: the whole dataset (N-Quads, TriG) and each named graph (Turtle).

The graph changes only when a new build is swapped in, so the build version from
build.json is the ETag and the build time is Last-Modified; a client that already
has this build gets 304. Bodies are streamed graph by graph and in batches, so a
large dump never has to sit in memory whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from itertools import islice

from flask import Blueprint, Response, render_template, request, stream_with_context
from pyoxigraph import DefaultGraph, NamedNode, Quad, RdfFormat, Store, serialize
from werkzeug.exceptions import NotFound, ServiceUnavailable

from healthkg.engine.prefixes import OWN_PREFIXES, prefix_map
from healthkg.server.graph import RemoteStoreError
from healthkg.server.views_queries import snapshot
from healthkg.server.views_terms import base_iri, iri_argument

blueprint = Blueprint("downloads", __name__, url_prefix="/downloads")

BATCH = 10_000


def _batches(quads: Iterator[Quad]) -> Iterator[list[Quad]]:
    while batch := list(islice(quads, BATCH)):
        yield batch


def _prefixes(store: Store, graph: NamedNode | DefaultGraph) -> dict[str, str]:
    """Prefixes for the vocabularies a graph uses (its predicates and classes), plus this graph's own."""
    vocabulary = {quad.predicate.value for quad in store.quads_for_pattern(None, None, None, graph)}
    rdf_type = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    vocabulary |= {quad.object.value for quad in store.quads_for_pattern(None, rdf_type, None, graph)}
    return OWN_PREFIXES | prefix_map(vocabulary)


def _nquads(store: Store) -> Iterator[bytes]:
    for batch in _batches(iter(store.quads_for_pattern(None, None, None, None))):
        yield serialize(batch, format=RdfFormat.N_QUADS) or b""


def _trig(store: Store) -> Iterator[bytes]:
    graphs: list[NamedNode | DefaultGraph] = [DefaultGraph(), *sorted(store.named_graphs(), key=lambda g: g.value)]
    for graph in graphs:
        quads = list(store.quads_for_pattern(None, None, None, graph))
        if quads:
            yield serialize(quads, format=RdfFormat.TRIG, prefixes=_prefixes(store, graph)) or b""
            yield b"\n"


def _turtle(store: Store, graph: NamedNode) -> Iterator[bytes]:
    yield serialize([q.triple for q in store.quads_for_pattern(None, None, None, graph)], format=RdfFormat.TURTLE,
                    prefixes=_prefixes(store, graph)) or b""


def _store() -> Store:
    try:
        return snapshot().store
    except RemoteStoreError as error:
        raise ServiceUnavailable(f"downloads are written from the embedded store ({error})") from error


def _download(body: Iterator[bytes], media_type: str, filename: str) -> Response:
    served = snapshot()
    response = Response(stream_with_context(body), content_type=f"{media_type}; charset=utf-8")
    response.set_etag(served.version)
    if served.info is not None:
        response.last_modified = datetime.fromisoformat(served.info.built_at)
    response.cache_control.no_cache = True
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response.make_conditional(request)


@blueprint.route("/")
def index() -> str:
    return render_template("downloads.html", info=snapshot().info,
                           graphs=sorted(g.value for g in _store().named_graphs()))


@blueprint.route("/healthkg.nq")
def nquads() -> Response:
    return _download(_nquads(_store()), "application/n-quads", "healthkg.nq")


@blueprint.route("/healthkg.trig")
def trig() -> Response:
    return _download(_trig(_store()), "application/trig", "healthkg.trig")


def _graph_response(iri: str) -> Response:
    store = _store()
    graph = NamedNode(iri)
    if not store.contains_named_graph(graph):
        raise NotFound(f"no named graph {iri} in this store")
    name = iri[len(base_iri() + "graph/"):] if iri.startswith(base_iri() + "graph/") else "graph"
    return _download(_turtle(store, graph), "text/turtle", name.replace("/", "_") + ".ttl")


@blueprint.route("/graph/<path:name>.ttl")
def named_graph(name: str) -> Response:
    return _graph_response(base_iri() + "graph/" + name)


@blueprint.route("/graph.ttl")
def graph_by_iri() -> Response:
    return _graph_response(iri_argument("graph", "give the IRI of a named graph"))
