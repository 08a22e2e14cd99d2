"""SPARQL 1.1 Protocol endpoint at /sparql (minimal; extended by the endpoint issue)."""

from __future__ import annotations

from flask import Blueprint, Response, request
from pyoxigraph import QueryBoolean, QueryResultsFormat, QuerySolutions, RdfFormat

from healthkg.server.graph import graph_service

blueprint = Blueprint("sparql", __name__)


@blueprint.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    if request.method == "POST" and request.mimetype == "application/sparql-query":
        text = request.get_data(as_text=True)
    else:
        text = request.values.get("query", "")
    if not text:
        return Response("missing query", status=400, mimetype="text/plain")
    try:
        results = graph_service().store.query(text, use_default_graph_as_union=True)
    except SyntaxError as error:
        return Response(f"malformed query: {error}", status=400, mimetype="text/plain")
    if isinstance(results, (QuerySolutions, QueryBoolean)):
        body = results.serialize(format=QueryResultsFormat.JSON)
        return Response(body, mimetype="application/sparql-results+json")
    return Response(results.serialize(format=RdfFormat.TURTLE), mimetype="text/turtle")
