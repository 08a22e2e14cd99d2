"""The SPARQL 1.1 endpoint at /sparql: queries, updates and the service description.

How a query is answered (SPARQL 1.1 Protocol §2.1): read the operation
(:mod:`.protocol`), choose the response format from ``Accept`` before any
evaluation (:mod:`.negotiation`; 406 when nothing fits), then evaluate in a
worker under the deadline and row cap, or inline for a template known to be
cheap (:mod:`.execution`), and stream the
serialised result. JSON-LD is the exception: the backend writes N-Triples, which
are compacted with the ontology's context once complete (:mod:`.jsonld`), so a
JSON-LD answer is held in memory (at most ``MAX_ROWS`` triples). Query errors are the client's (400 with the parser's
message and position); store failures are ours (500, logged).
"""

from __future__ import annotations

import hashlib
import logging
from functools import lru_cache
from typing import Any

from flask import Blueprint, Response, current_app, g, request

from healthkg.engine.backends import BackendError, BackendTimeout, FormatChoice, LocalBackend, NotAcceptable
from healthkg.engine.formats import GRAPH_FORMATS, RESULT_FORMATS, Format
from healthkg.engine.query_form import shape
from healthkg.server.auth import require_writer
from healthkg.server.description import graph_format, rdf_response, service_description, void_url
from healthkg.server.errors import BadGateway, BadRequest, GatewayTimeout, NotAcceptableError
from healthkg.server.execution import Outcome, QueryRunner, QueryTimeout, StreamAborted
from healthkg.server.graph import Snapshot, graph_service
from healthkg.server.jsonld import compact, context_link
from healthkg.server.negotiation import AcceptHeaderError, negotiate, parse_accept
from healthkg.server.protocol import QueryOperation, UpdateOperation, read_operation
from healthkg.server.result_cache import CachedAnswer, ResultCache

blueprint = Blueprint("sparql", __name__)
log = logging.getLogger("healthkg.server")
TRUNCATED_HEADER = "Healthkg-Truncated"
JSON_LD = next(f for f in GRAPH_FORMATS if f.name == "jsonld")
N_TRIPLES = next(f for f in GRAPH_FORMATS if f.name == "ntriples")


@lru_cache(maxsize=256)
def choose_formats(accept: str | None) -> FormatChoice:
    """The formats an Accept header prefers, per kind of result; clients send few distinct headers."""
    try:
        ranges = parse_accept(accept)
    except AcceptHeaderError as error:
        raise BadRequest(f"Accept header: {error}") from None
    return FormatChoice(negotiate(ranges, RESULT_FORMATS), negotiate(ranges, GRAPH_FORMATS))


def cache_key(snapshot: Snapshot, operation: QueryOperation, choice: FormatChoice, max_rows: int) -> tuple[object, ...]:
    """Everything an answer depends on: the graph's version, the query and dataset, the format, the cap.

    The query and dataset enter as a digest, so a key weighs the same however long the
    query: the cache's byte budget then bounds its memory.
    """
    digest = hashlib.blake2b(digest_size=16)
    for part in (operation.text, *operation.dataset.default_graphs, "\x00", *operation.dataset.named_graphs):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\x00")
    return (snapshot.version, digest.digest(), choice, max_rows)


def _not_acceptable(kind: str) -> NotAcceptableError:
    offered = RESULT_FORMATS if kind == "results" else GRAPH_FORMATS
    what = "a result set (SELECT, ASK)" if kind == "results" else "a graph (CONSTRUCT, DESCRIBE)"
    return NotAcceptableError(f"the query answers with {what}, available as "
                              + ", ".join(f.media_type for f in offered))


def _answer(fmt: Format, body: Any, truncated: bool, max_rows: int) -> Response:
    response = Response(body, content_type=fmt.content_type)
    response.vary.add("Accept")
    if fmt == JSON_LD:
        response.headers["Link"] = context_link()
    if truncated:
        response.headers[TRUNCATED_HEADER] = f"max-rows={max_rows}"
    return response


def _query(operation: QueryOperation) -> Response:
    config = current_app.config
    choice = choose_formats(request.headers.get("Accept"))
    query_shape = shape(operation.text)
    if query_shape.is_update:
        raise BadRequest("this is an update, not a query: send it with POST as update= or application/sparql-update")
    if query_shape.form and (choice.graph if query_shape.is_graph else choice.results) is None:
        raise _not_acceptable("graph" if query_shape.is_graph else "results")
    if query_shape.service and not config["ALLOW_SERVICE"]:
        raise BadRequest("SERVICE (federated query) is disabled on this endpoint (ALLOW_SERVICE)")
    snapshot = graph_service().snapshot()
    max_rows = int(config["MAX_ROWS"])
    cache: ResultCache = current_app.extensions["healthkg.cache"]
    key = cache_key(snapshot, operation, choice, max_rows)
    use_cache = "no-cache" not in request.headers.get("Cache-Control", "")
    if use_cache and (cached := cache.get(key)) is not None:
        g.cache = "hit"
        return _answer(cached.fmt, cached.body, cached.truncated, max_rows)
    g.cache = "miss" if use_cache else "bypass"
    runner: QueryRunner = current_app.extensions["healthkg.runner"]
    compacted = query_shape.is_graph and choice.graph == JSON_LD
    asked = FormatChoice(choice.results, N_TRIPLES) if compacted else choice
    try:
        outcome: Outcome = runner.run(
            lambda sink, small: snapshot.backend.stream(
                operation.text, operation.dataset, asked, sink, max_rows, small
            ),
            float(config["QUERY_TIMEOUT"]),
            query_shape.template,
        )
    except SyntaxError as error:
        raise BadRequest(f"malformed query: {error}") from None
    except NotAcceptable as error:
        raise _not_acceptable(error.kind) from None
    except BackendTimeout as error:
        raise GatewayTimeout(str(error)) from None
    except BackendError as error:
        raise BadGateway(str(error)) from None
    if compacted:
        outcome = _compacted(outcome)
    if outcome.complete:
        body = outcome.body
        if use_cache:
            cache.put(key, CachedAnswer(outcome.fmt, body, outcome.truncated))
        return _answer(outcome.fmt, body, outcome.truncated, max_rows)
    response = _answer(outcome.fmt, outcome.chunks(), False, max_rows)
    response.call_on_close(outcome.cancel)
    return response


def _compacted(outcome: Outcome) -> Outcome:
    """The N-Triples of a graph result, read to the end and compacted into JSON-LD."""
    try:
        ntriples = b"".join(outcome.chunks())
    except StreamAborted as error:
        raise QueryTimeout(
            f"{error}; ask for N-Triples or Turtle to stream a large graph", headers={"Retry-After": "5"}
        ) from None
    finally:
        outcome.cancel()
    return Outcome(JSON_LD, [compact(ntriples)], complete=True, truncated=outcome.truncated)


def _update(operation: UpdateOperation) -> Response:
    require_writer("SPARQL Update")
    if operation.using_graphs or operation.using_named_graphs:
        raise BadRequest(
            "using-graph-uri and using-named-graph-uri are not supported here; "
            "write USING / USING NAMED in the update itself"
        )
    service = graph_service()
    backend = service.snapshot().backend
    if not isinstance(backend, LocalBackend):
        raise BadRequest("updates need the embedded store; this server reads a remote endpoint")
    try:
        backend.update(operation.text, base_iri=request.base_url)
    except SyntaxError as error:
        raise BadRequest(f"malformed update: {error}") from None
    service.changed()
    return Response(status=204)


def _service_description() -> Response:
    fmt = graph_format()
    config = current_app.config
    snapshot = graph_service().snapshot()
    sizes = current_app.extensions["healthkg.statistics"].graph_sizes(snapshot)
    triples = service_description(
        request.base_url,
        void_url() + "#dataset",
        sizes,
        update=bool(config["UPDATE_ENABLED"]),
        federation=bool(config["ALLOW_SERVICE"]),
    )
    return rdf_response(triples, fmt)


@blueprint.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    operation = read_operation(request)
    if operation is None:
        return _service_description()
    if isinstance(operation, UpdateOperation):
        return _update(operation)
    return _query(operation)
