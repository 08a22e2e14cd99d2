"""SPARQL 1.1 Graph Store HTTP Protocol at /store (https://www.w3.org/TR/sparql11-http-rdf-update/).

Off by default. When ``UPDATE_ENABLED`` is set, GET and HEAD read graphs and
PUT, POST and DELETE change them with the configured bearer token. Graphs
are named indirectly (``/store?graph=<iri>``, ``/store?default``, §4.2) or
directly (the IRI of ``/store/<path>`` itself, §4.1). Status codes follow
§5: 200 for a read, 201 when a write created the graph, 204 when it changed
an existing one, 404 for a graph that does not exist.

Bodies are parsed completely before the store is touched, so a malformed or
unauthorised request changes nothing. Changes go to the served in-memory
store only; the next build or restart replaces them.
"""

from __future__ import annotations

import threading
import uuid
from urllib.parse import urljoin

from flask import Blueprint, Response, current_app, request
from pyoxigraph import DefaultGraph, NamedNode, Quad, Store, parse

from healthkg.engine.backends import LocalBackend
from healthkg.engine.formats import GRAPH_FORMATS, by_media_type
from healthkg.server.auth import require_writer
from healthkg.server.description import graph_format
from healthkg.server.errors import BadRequest, Forbidden, NotFound, UnsupportedMediaType
from healthkg.server.execution import QueryRunner
from healthkg.server.graph import graph_service
from healthkg.server.protocol import ABSOLUTE_IRI

blueprint = Blueprint("graph_store", __name__)
_write_lock = threading.Lock()
Graph = NamedNode | DefaultGraph
WHAT = "the Graph Store Protocol"


def _store() -> Store:
    backend = graph_service().snapshot().backend
    if not isinstance(backend, LocalBackend):
        raise BadRequest(f"{WHAT} needs the embedded store; this server reads a remote endpoint")
    return backend.store


def _target(path: str | None) -> Graph | None:
    """The graph a request names; None for the graph store itself (a POST that creates a graph)."""
    args = request.args
    if path is not None:
        if "graph" in args or "default" in args:
            raise BadRequest("a directly identified graph takes neither ?graph= nor ?default")
        return NamedNode(request.base_url)
    if "graph" in args and "default" in args:
        raise BadRequest("give either ?graph= or ?default, not both")
    if "default" in args:
        return DefaultGraph()
    if "graph" in args:
        graphs = args.getlist("graph")
        if len(graphs) > 1:
            raise BadRequest("more than one ?graph= parameter")
        iri = urljoin(request.base_url, graphs[0])
        if not ABSOLUTE_IRI.match(iri):
            raise BadRequest(f"graph: {graphs[0]!r} is not an IRI")
        return NamedNode(iri)
    return None


def _exists(store: Store, graph: Graph) -> bool:
    if isinstance(graph, DefaultGraph):
        return next(iter(store.quads_for_pattern(None, None, None, graph)), None) is not None
    return store.contains_named_graph(graph)


def _payload(graph: Graph) -> list[Quad]:
    """The request body as quads in ``graph``: parsed whole, before anything is changed."""
    fmt = by_media_type(request.content_type or "")
    if fmt is None or fmt.kind != "graph" or fmt.name in ("nquads", "trig"):
        accepted = ", ".join(f.media_type for f in GRAPH_FORMATS if f.name not in ("nquads", "trig"))
        raise UnsupportedMediaType(f"the body must be an RDF graph in one of: {accepted}")
    base = graph.value if isinstance(graph, NamedNode) else request.base_url
    try:
        parsed = list(parse(request.get_data(cache=False), format=fmt.rdf_format, base_iri=base))
    except SyntaxError as error:
        raise BadRequest(f"malformed {fmt.media_type} body: {error}") from None
    if any(not isinstance(q.graph_name, DefaultGraph) for q in parsed):
        raise BadRequest("the body names graphs; send one graph's triples")
    return [Quad(q.subject, q.predicate, q.object, graph) for q in parsed]


def _read(graph: Graph | None) -> Response:
    if graph is None:
        raise BadRequest("name a graph: ?graph=<iri> or ?default")
    fmt = graph_format()
    store = _store()
    if not _exists(store, graph) and not isinstance(graph, DefaultGraph):
        raise NotFound(f"no graph {graph.value}")
    runner: QueryRunner = current_app.extensions["healthkg.runner"]
    backend = LocalBackend(store)
    outcome = runner.run(
        lambda sink, _small: backend.stream_graph(graph, fmt, sink), float(current_app.config["QUERY_TIMEOUT"])
    )
    response = Response(outcome.body if outcome.complete else outcome.chunks(), content_type=outcome.fmt.content_type)
    response.vary.add("Accept")
    response.call_on_close(outcome.cancel)
    return response


def _write(graph: Graph | None) -> Response:
    require_writer(WHAT)
    store = _store()
    location = None
    if graph is None:
        if request.method != "POST":
            raise BadRequest(f"{request.method} needs a graph: ?graph=<iri> or ?default")
        location = f"{request.base_url.rstrip('/')}/{uuid.uuid4().hex}"
        graph = NamedNode(location)
    if request.method == "DELETE":
        with _write_lock:
            if not _exists(store, graph):
                raise NotFound(f"no graph {graph.value if isinstance(graph, NamedNode) else 'default'} to delete")
            if isinstance(graph, DefaultGraph):
                store.clear_graph(graph)
            else:
                store.remove_graph(graph)
        graph_service().changed()
        return Response(status=204)
    quads = _payload(graph)
    with _write_lock:
        existed = _exists(store, graph)
        if request.method == "PUT" and existed:
            store.clear_graph(graph)
        if isinstance(graph, NamedNode):
            store.add_graph(graph)
        store.extend(quads)
    graph_service().changed()
    response = Response(status=204 if existed else 201)
    if location is not None:
        response.headers["Location"] = location
    return response


@blueprint.route("/store", methods=["GET", "PUT", "POST", "DELETE"])
@blueprint.route("/store/<path:path>", methods=["GET", "PUT", "POST", "DELETE"])
def graph_store(path: str | None = None) -> Response:
    if not current_app.config["UPDATE_ENABLED"]:
        raise Forbidden(f"{WHAT} is disabled on this server (set UPDATE_ENABLED and UPDATE_TOKEN to allow it)")
    graph = _target(path)
    if request.method in ("GET", "HEAD"):
        return _read(graph)
    return _write(graph)
