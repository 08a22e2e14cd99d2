"""Named queries as a web API (grlc-style): ``GET /api/queries/<name>?param=…``, described by OpenAPI 3.

Every ``.rq`` of the catalogue becomes one operation. Parameters are validated and
bound as typed RDF terms by :meth:`NamedQuery.render`; a value that does not fit
answers 400 naming the parameter, and a name that denotes no entity of the graph
(or several) answers 400 with the closest names, never an empty result. SELECT/ASK results come as SPARQL JSON, CSV or
TSV, CONSTRUCT/DESCRIBE results as Turtle, N-Triples, RDF/XML or JSON-LD (compacted
with the ontology's context), chosen by ``format=`` or else by the Accept header.
The rendered query goes through the engine like any other, under the same
deadline as ``/sparql`` (parameters can make a named query expensive) but
without its row cap; errors come back in the API's JSON shape.

CSV and TSV answers are named (``Content-Disposition``: the query's name and its
parameters), so a browser saves them as a file that says what it holds; ``bom=1``
puts a UTF-8 byte-order mark first, without which Excel on Japanese Windows reads
the file as Shift_JIS and garbles every Japanese name.
"""

from __future__ import annotations

import re
import shlex
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, NotAcceptable, NotFound

from healthkg.engine import Query
from healthkg.engine.errors import EngineError
from healthkg.engine.formats import GRAPH_FORMATS, RESULT_FORMATS, Format
from healthkg.queries.catalogue import NamedQuery, Parameter, ParameterError, catalogue
from healthkg.queries.entities import EntityResolver
from healthkg.server.errors import HttpError, http_error
from healthkg.server.responses import answer_response
from healthkg.server.services import services

blueprint = Blueprint("api", __name__, url_prefix="/api")

_ANSWERS = {
    False: RESULT_FORMATS,
    True: tuple(f for f in GRAPH_FORMATS if f.name in ("turtle", "ntriples", "jsonld", "rdfxml")),
}
_TABULAR = ("csv", "tsv")
_BOM = "\ufeff".encode()
_SWITCHES = ("format", "bom")
_SCHEMA_TYPES: dict[str, dict[str, str]] = {
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "decimal": {"type": "number"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "iri": {"type": "string", "format": "uri"},
    "entity": {"type": "string"},
}


def _query(name: str) -> NamedQuery:
    try:
        return catalogue()[name]
    except KeyError:
        raise NotFound(f"no named query {name!r}; see /api/queries") from None


def _graph(query: NamedQuery) -> bool:
    return query.kind in ("CONSTRUCT", "DESCRIBE")


def formats(query: NamedQuery) -> tuple[Format, ...]:
    """What a query can answer as, the default first: SPARQL results or RDF by its kind."""
    return _ANSWERS[_graph(query)]


def _format(query: NamedQuery) -> Format:
    """The format asked for by ``format=`` (name or extension), else by Accept (the default when indifferent)."""
    offered = formats(query)
    asked = request.args.get("format")
    if asked is not None:
        for fmt in offered:
            if asked in (fmt.name, fmt.extension):
                return fmt
        raise NotAcceptable(f"format: {asked!r} is not one of {', '.join(f.name for f in offered)}")
    if not request.accept_mimetypes:
        return offered[0]
    by_type = {media: fmt for fmt in offered for media in (fmt.media_type, *fmt.aliases)}
    best = request.accept_mimetypes.best_match(list(by_type))
    if best is None:
        raise NotAcceptable(f"{query.name} answers as {', '.join(f.media_type for f in offered)}")
    return by_type[best]


def example_args(query: NamedQuery) -> dict[str, str]:
    """The parameters of the header's example call (``--param key=value`` pairs)."""
    words = shlex.split(query.example) if query.example else []
    pairs = [words[i + 1] for i, word in enumerate(words[:-1]) if word == "--param"]
    return dict(pair.split("=", 1) for pair in pairs if "=" in pair)


def _describe(query: NamedQuery) -> dict[str, Any]:
    return {
        "name": query.name,
        "summary": query.summary,
        "description": query.description,
        "kind": query.kind,
        "params": [
            {"name": p.name, "type": p.type, "description": p.description, "default": p.default,
             "required": p.required, "enum": list(p.enum)}
            for p in query.params
        ],
        "columns": list(query.columns),
        "tags": list(query.tags),
        "example": example_args(query),
        "url": f"{request.script_root}/api/queries/{query.name}",
    }


@blueprint.route("/queries")
def list_queries() -> Response:
    return jsonify([_describe(query) for query in catalogue().values()])


@blueprint.route("/queries/<name>")
def run_query(name: str) -> Response:
    query = _query(name)
    fmt = _format(query)
    values = {key: value for key, value in request.args.items() if key not in _SWITCHES}
    try:
        text = query.render(values, EntityResolver(services().engine))
    except ParameterError as error:
        return _error(400, str(error), query=query.name)
    graph = query.kind in ("CONSTRUCT", "DESCRIBE")
    request_query = Query(text, results_format=None if graph else fmt.name, graph_format=fmt.name if graph else None)
    answer = services().engine.run(request_query, use_cache="no-cache" not in request.headers.get("Cache-Control", ""))
    # Read whole before responding, so that a query past its deadline gets a 503 in JSON, not a cut-off body.
    response = answer_response(answer.whole(), negotiated=request.args.get("format") is None)
    if fmt.name in _TABULAR:
        if request.args.get("bom", "").lower() in ("1", "true", "yes"):
            response.set_data(_BOM + response.get_data())
        response.headers["Content-Disposition"] = _attachment(query.name, values, fmt.extension)
    return response


def _attachment(name: str, values: dict[str, str], extension: str) -> str:
    """A ``Content-Disposition`` naming the file after the query and its parameters (RFC 6266, RFC 5987).

    ``budget-lines_fiscal_year-2020.csv``; Japanese values keep their characters in ``filename*``
    and become ``_`` in the ASCII ``filename`` old clients read.
    """
    stem = "_".join([name, *(f"{key}-{value}" for key, value in sorted(values.items()) if value)])
    stem = re.sub(r'[\x00-\x1f\x7f"\\/:*?<>|;,\s]+', "_", stem)[:120]
    ascii_stem = re.sub(r"[^A-Za-z0-9._-]", "_", stem)
    return f"attachment; filename=\"{ascii_stem}.{extension}\"; filename*=UTF-8''{quote(stem)}.{extension}"


def _schema(parameter: Parameter) -> dict[str, Any]:
    schema: dict[str, Any] = dict(_SCHEMA_TYPES.get(parameter.type, {"type": "string"}))
    if parameter.enum:
        schema["enum"] = list(parameter.enum)
    if parameter.default is not None:
        schema["default"] = int(parameter.default) if schema["type"] == "integer" else parameter.default
    return schema


def _operation(query: NamedQuery) -> dict[str, Any]:
    example = example_args(query)
    parameters: list[dict[str, Any]] = []
    for p in query.params:
        parameter: dict[str, Any] = {"name": p.name, "in": "query", "required": p.required,
                                     "description": p.description or p.type, "schema": _schema(p)}
        if p.name in example:
            parameter["example"] = int(example[p.name]) if p.type == "integer" else example[p.name]
        parameters.append(parameter)
    parameters.append({"name": "format", "in": "query", "required": False,
                       "description": "Result format; overrides the Accept header.",
                       "schema": {"type": "string", "enum": [f.name for f in formats(query)]}})
    if not _graph(query):
        parameters.append({"name": "bom", "in": "query", "required": False,
                           "description": "With CSV or TSV: 1 puts a UTF-8 byte-order mark first (for Excel).",
                           "schema": {"type": "string", "enum": ["0", "1"]}})
    media_types = [f.media_type for f in formats(query)]
    description = query.description
    if query.columns:
        description += f"\n\nColumns: {', '.join(query.columns)}."
    return {
        "operationId": query.name.replace("-", "_"),
        "summary": query.summary,
        "description": description,
        "tags": list(query.tags) or ["queries"],
        "parameters": parameters,
        "responses": {
            "200": {"description": "Query results",
                    "content": {media: {"schema": {"type": "object" if "json" in media else "string"}}
                                for media in media_types}},
            "400": {"description": "A parameter does not fit its type, is unknown, or names no single entity",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            "406": {"description": "None of the result formats is acceptable"},
            "503": {"description": "The query ran past the server's time limit (see Retry-After)",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
        },
    }


@blueprint.route("/openapi.json")
def openapi() -> Response:
    info = services().engine.snapshot().info
    built = f"built {info.built_at}" if info else "served from a remote endpoint"
    document = {
        "openapi": "3.0.3",
        "info": {
            "title": "healthkg named queries",
            "version": info.version if info else "remote",
            "description": f"Named SPARQL queries over the healthkg knowledge graph ({built}). "
                           "Each parameter is bound as a typed RDF term.",
        },
        "servers": [{"url": request.host_url.rstrip("/") + request.script_root}],
        "paths": {
            "/api/queries": {"get": {
                "operationId": "list_queries",
                "summary": "The named queries with their parameters",
                "responses": {"200": {"description": "One entry per query",
                                      "content": {"application/json": {"schema": {"type": "array",
                                                                                   "items": {"type": "object"}}}}}},
            }},
        } | {f"/api/queries/{q.name}": {"get": _operation(q)} for q in catalogue().values()},
        "components": {"schemas": {"Error": {
            "type": "object",
            "properties": {"error": {"type": "string"}, "query": {"type": "string"}},
            "required": ["error"],
        }}},
    }
    return jsonify(document)


@blueprint.route("/")
def browse() -> str:
    return render_template("api.html", queries=[_describe(q) for q in catalogue().values()],
                           formats={q.name: [f.name for f in formats(q)] for q in catalogue().values()})


def _error(status: int, message: str, **extra: str) -> Response:
    response = jsonify({"error": message, **extra})
    response.status_code = status
    return response


@blueprint.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    return _error(error.code or 500, error.description or error.name)


@blueprint.errorhandler(HttpError)
def _own_error(error: HttpError) -> Response:
    """The server's own errors in the API's JSON shape."""
    response = _error(error.status, error.message)
    response.headers.update(error.headers)
    return response


@blueprint.errorhandler(EngineError)
def _engine_error(error: EngineError) -> Response:
    """The engine's errors (a query past its time limit, an unreachable backend) in the API's JSON shape."""
    return _own_error(http_error(error))
