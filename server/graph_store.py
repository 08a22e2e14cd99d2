"""SPARQL 1.1 Graph Store HTTP Protocol at /store (https://www.w3.org/TR/sparql11-http-rdf-update/).

Off by default. When ``UPDATE_ENABLED`` is set, GET and HEAD read graphs and
PUT, POST and DELETE change them with the configured bearer token. Graphs
are named indirectly (``/store?graph=<iri>``, ``/store?default``, §4.2) or
directly (the IRI of ``/store/<path>`` itself, §4.1). Status codes follow
§5: 200 for a read, 201 when a write created the graph, 204 when it changed
an existing one, 404 for a graph that does not exist.

The engine parses a body completely before the store is touched
(:mod:`healthkg.engine.writes`), so a malformed or unauthorised request
changes nothing. Changes go to the served in-memory store only; the next
build or restart replaces them.
"""

from __future__ import annotations

import uuid
from urllib.parse import urljoin

from flask import Blueprint, Response, current_app, request

from healthkg.engine import GraphRead
from healthkg.engine.errors import EmbeddedStoreRequired
from healthkg.server.auth import require_writer
from healthkg.server.errors import BadRequest, Forbidden, NotFound
from healthkg.server.negotiation import graph_format
from healthkg.server.protocol import ABSOLUTE_IRI
from healthkg.server.responses import answer_response
from healthkg.server.services import services

blueprint = Blueprint("graph_store", __name__)
WHAT = "the Graph Store Protocol"
DEFAULT = None  # how the engine names the default graph
STORE_ITSELF = ""  # the target of a POST that creates a graph


def _target(path: str | None) -> str | None:
    """The IRI of the graph a request names, ``DEFAULT``, or ``STORE_ITSELF``."""
    args = request.args
    if path is not None:
        if "graph" in args or "default" in args:
            raise BadRequest("a directly identified graph takes neither ?graph= nor ?default")
        return request.base_url
    if "graph" in args and "default" in args:
        raise BadRequest("give either ?graph= or ?default, not both")
    if "default" in args:
        return DEFAULT
    if "graph" in args:
        graphs = args.getlist("graph")
        if len(graphs) > 1:
            raise BadRequest("more than one ?graph= parameter")
        iri = urljoin(request.base_url, graphs[0])
        if not ABSOLUTE_IRI.match(iri):
            raise BadRequest(f"graph: {graphs[0]!r} is not an IRI")
        return iri
    return STORE_ITSELF


def _read(graph: str | None) -> Response:
    if graph == STORE_ITSELF:
        raise BadRequest("name a graph: ?graph=<iri> or ?default")
    fmt = graph_format(request.headers.get("Accept"))
    engine = services().engine
    if graph is not DEFAULT and not engine.graph_exists(graph):
        raise NotFound(f"no graph {graph}")
    return answer_response(engine.read_graph(GraphRead(graph, fmt.name)))


def _write(graph: str | None) -> Response:
    require_writer(WHAT)
    engine = services().engine
    location = None
    if graph == STORE_ITSELF:
        if request.method != "POST":
            raise BadRequest(f"{request.method} needs a graph: ?graph=<iri> or ?default")
        graph = location = f"{request.base_url.rstrip('/')}/{uuid.uuid4().hex}"
    if request.method == "DELETE":
        engine.delete_graph(graph)
        return Response(status=204)
    created = engine.write_graph(graph, request.get_data(cache=False), request.content_type or "", request.base_url,
                                 replace=request.method == "PUT")
    response = Response(status=201 if created else 204)
    if location is not None:
        response.headers["Location"] = location
    return response


@blueprint.route("/store", methods=["GET", "PUT", "POST", "DELETE"])
@blueprint.route("/store/<path:path>", methods=["GET", "PUT", "POST", "DELETE"])
def graph_store(path: str | None = None) -> Response:
    if not current_app.config["UPDATE_ENABLED"]:
        raise Forbidden(f"{WHAT} is disabled on this server (set UPDATE_ENABLED and UPDATE_TOKEN to allow it)")
    graph = _target(path)
    try:
        if request.method in ("GET", "HEAD"):
            return _read(graph)
        return _write(graph)
    except EmbeddedStoreRequired:
        raise BadRequest(f"{WHAT} needs the embedded store; this server reads a remote endpoint") from None
