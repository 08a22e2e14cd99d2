"""The SPARQL 1.1 endpoint at /sparql: queries, updates and the service description.

How a query is answered (SPARQL 1.1 Protocol §2.1): read the operation
(:mod:`.protocol`), choose the response format from ``Accept`` before any
evaluation (:mod:`.negotiation`; 406 when nothing fits), refuse what this
endpoint does not run (texts past the guard's limits, ``SERVICE`` to an endpoint
not allowed, updates sent as queries), then hand the query to the engine
(:meth:`healthkg.engine.Engine.run`: result cache, then a contained evaluation
under the deadline and row cap) and send its answer. An update's bearer token
is checked before its body is read.
Query errors are the client's (400 with the parser's message and position);
store failures are ours (500, logged).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, request

from healthkg.engine import Query
from healthkg.engine.errors import EmbeddedStoreRequired
from healthkg.engine.writes import with_dataset
from healthkg.server.auth import require_writer
from healthkg.server.description import service_description_response
from healthkg.server.errors import BadRequest
from healthkg.server.negotiation import choose_formats
from healthkg.server.protocol import SPARQL_UPDATE, QueryOperation, UpdateOperation, read_operation
from healthkg.server.responses import answer_response
from healthkg.server.services import services

blueprint = Blueprint("sparql", __name__)


def _query(operation: QueryOperation) -> Response:
    config = current_app.config
    choice = choose_formats(request.headers.get("Accept"))
    engine = services().engine
    max_rows = int(config["MAX_ROWS"])
    query = Query(operation.text, operation.dataset, results_format=choice.results.name if choice.results else None,
                  graph_format=choice.graph.name if choice.graph else None, max_rows=max_rows)
    answer = engine.run(query, use_cache="no-cache" not in request.headers.get("Cache-Control", ""))
    g.cache = answer.cache
    return answer_response(answer, max_rows=max_rows)


def _update(operation: UpdateOperation) -> Response:
    require_writer("SPARQL Update")
    text = with_dataset(operation.text, operation.using_graphs, operation.using_named_graphs)
    try:
        services().engine.update(text, base_iri=request.base_url)
    except EmbeddedStoreRequired:
        raise BadRequest("updates need the embedded store; this server reads a remote endpoint") from None
    return Response(status=204)


@blueprint.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    if request.method == "POST" and request.mimetype == SPARQL_UPDATE:
        require_writer("SPARQL Update")  # before a byte of the body is read
    operation = read_operation(request)
    if operation is None:
        return service_description_response()
    if isinstance(operation, UpdateOperation):
        return _update(operation)
    return _query(operation)
