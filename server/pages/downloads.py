"""Downloads of the built graph: the whole dataset (N-Quads, TriG) and each named graph (Turtle).

The graph changes only when a new build is swapped in, so the build version from
build.json is the ETag and the build time is Last-Modified; a client that already
has this build gets 304. The engine writes the bodies in batches
(:mod:`healthkg.engine.dumps`), so a large dump never has to sit in memory whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from flask import Blueprint, Response, render_template, request, stream_with_context
from pyoxigraph import Store
from werkzeug.exceptions import NotFound, ServiceUnavailable

from healthkg.engine import dumps
from healthkg.engine.errors import EmbeddedStoreRequired
from healthkg.queries.catalogue import ParameterError
from healthkg.server.pages.queries import snapshot
from healthkg.server.pages.terms import base_iri, checked_iri, iri_argument

blueprint = Blueprint("downloads", __name__, url_prefix="/downloads")


def _store() -> Store:
    try:
        return snapshot().store
    except EmbeddedStoreRequired as error:
        raise ServiceUnavailable(f"downloads are written from the embedded store ({error})") from error


def _download(body: Iterator[bytes], media_type: str, filename: str) -> Response:
    served = snapshot()
    response = Response(stream_with_context(body), content_type=f"{media_type}; charset=utf-8")
    response.set_etag(served.version)
    if served.info is not None:
        response.last_modified = datetime.fromisoformat(served.info.built_at)
    response.cache_control.no_cache = True
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.make_conditional(request)  # in place: 304 when the client has this build
    return response


@blueprint.route("/")
def index() -> str:
    return render_template("downloads.html", info=snapshot().info, graphs=dumps.named_graphs(_store()))


@blueprint.route("/healthkg.nq")
def nquads() -> Response:
    return _download(dumps.nquads(_store()), "application/n-quads", "healthkg.nq")


@blueprint.route("/healthkg.trig")
def trig() -> Response:
    return _download(dumps.trig(_store()), "application/trig", "healthkg.trig")


def _graph_response(iri: str) -> Response:
    store = _store()
    try:
        checked_iri(iri)
    except ParameterError:
        raise NotFound(f"{iri!r} names no graph: it is not an IRI") from None
    if not dumps.has_named_graph(store, iri):
        raise NotFound(f"no named graph {iri} in this store")
    name = iri[len(base_iri() + "graph/"):] if iri.startswith(base_iri() + "graph/") else "graph"
    return _download(dumps.turtle(store, iri), "text/turtle", name.replace("/", "_") + ".ttl")


@blueprint.route("/graph/<path:name>.ttl")
def named_graph(name: str) -> Response:
    return _graph_response(base_iri() + "graph/" + name)


@blueprint.route("/graph.ttl")
def graph_by_iri() -> Response:
    return _graph_response(iri_argument("graph", "give the IRI of a named graph"))
