"""The SPARQL 1.1 endpoint at /sparql: queries, updates and the service description.

How a query is answered (SPARQL 1.1 Protocol §2.1): read the operation
(:mod:`.protocol`), choose the response format from ``Accept`` before any
evaluation (:mod:`.negotiation`; 406 when nothing fits), refuse what this
endpoint does not run (updates sent as queries, ``SERVICE`` unless allowed),
then hand the query to the engine (:meth:`healthkg.engine.Engine.run`: result
cache, then evaluation under the deadline and row cap) and send its answer.
Query errors are the client's (400 with the parser's message and position);
store failures are ours (500, logged).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, request

from healthkg.engine import Query
from healthkg.engine.engine import check_formats
from healthkg.engine.errors import EmbeddedStoreRequired
from healthkg.engine.query_form import shape
from healthkg.server.auth import require_writer
from healthkg.server.description import service_description_response
from healthkg.server.errors import BadRequest
from healthkg.server.negotiation import choose_formats
from healthkg.server.protocol import QueryOperation, UpdateOperation, read_operation
from healthkg.server.responses import answer_response
from healthkg.server.services import services

blueprint = Blueprint("sparql", __name__)


def _query(operation: QueryOperation) -> Response:
    config = current_app.config
    choice = choose_formats(request.headers.get("Accept"))
    query_shape = shape(operation.text)
    if query_shape.is_update:
        raise BadRequest("this is an update, not a query: send it with POST as update= or application/sparql-update")
    max_rows = int(config["MAX_ROWS"])
    query = Query(operation.text, operation.dataset, results_format=choice.results.name if choice.results else None,
                  graph_format=choice.graph.name if choice.graph else None, max_rows=max_rows)
    check_formats(query)
    if query_shape.service and not config["ALLOW_SERVICE"]:
        raise BadRequest("SERVICE (federated query) is disabled on this endpoint (ALLOW_SERVICE)")
    answer = services().engine.run(query, use_cache="no-cache" not in request.headers.get("Cache-Control", ""))
    g.cache = answer.cache
    return answer_response(answer, max_rows=max_rows)


def _update(operation: UpdateOperation) -> Response:
    require_writer("SPARQL Update")
    if operation.using_graphs or operation.using_named_graphs:
        raise BadRequest(
            "using-graph-uri and using-named-graph-uri are not supported here; "
            "write USING / USING NAMED in the update itself"
        )
    try:
        services().engine.update(operation.text, base_iri=request.base_url)
    except EmbeddedStoreRequired:
        raise BadRequest("updates need the embedded store; this server reads a remote endpoint") from None
    return Response(status=204)


@blueprint.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    operation = read_operation(request)
    if operation is None:
        return service_description_response()
    if isinstance(operation, UpdateOperation):
        return _update(operation)
    return _query(operation)
