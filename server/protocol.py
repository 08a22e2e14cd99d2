"""Reading a SPARQL 1.1 Protocol request: which operation, its text and its dataset.

https://www.w3.org/TR/sparql11-protocol/ §2.1 (query) and §2.2 (update):

* query via GET: ``?query=`` exactly once, plus ``default-graph-uri`` and ``named-graph-uri``;
* query via POST with ``application/x-www-form-urlencoded``: the same parameters in the body;
* query via POST with ``application/sparql-query``: the query is the body (in its
  ``charset``, UTF-8 by default), dataset parameters in the URL;
* update via POST, form-encoded (``update=``, ``using-graph-uri``, ``using-named-graph-uri``)
  or as an ``application/sparql-update`` body. Never via GET.

A GET without ``query`` asks for the service description. Everything else is
a client error naming what is wrong.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from flask import Request
from werkzeug.datastructures import MultiDict

from healthkg.engine.backends import Dataset
from healthkg.server.errors import BadRequest, UnsupportedMediaType

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"
ABSOLUTE_IRI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s<>\"{}|\\^`]*$")


@dataclass(frozen=True)
class QueryOperation:
    text: str
    dataset: Dataset


@dataclass(frozen=True)
class UpdateOperation:
    text: str
    using_graphs: tuple[str, ...] = ()
    using_named_graphs: tuple[str, ...] = ()


def _iris(params: MultiDict[str, str], name: str) -> tuple[str, ...]:
    values = tuple(params.getlist(name))
    for value in values:
        if not ABSOLUTE_IRI.match(value):
            raise BadRequest(f"{name}: {value!r} is not an absolute IRI")
    return values


def _single(values: list[str], name: str) -> str:
    if len(values) > 1:
        raise BadRequest(f"{len(values)} {name} parameters; the protocol allows exactly one")
    text = values[0]
    if not text.strip():
        raise BadRequest(f"empty {name}")
    return text


def _body_text(request: Request, what: str) -> str:
    charset = request.mimetype_params.get("charset", "utf-8")
    try:
        codecs.lookup(charset)
    except LookupError:
        raise UnsupportedMediaType(f"unknown charset {charset!r} of the {what}") from None
    try:
        text = request.get_data(cache=False).decode(charset)
    except UnicodeDecodeError as error:
        raise BadRequest(f"the {what} is not valid {charset}: {error}") from None
    if not text.strip():
        raise BadRequest(f"empty {what}")
    return text


def _query(texts: list[str], params: MultiDict[str, str]) -> QueryOperation:
    return QueryOperation(_single(texts, "query"),
                          Dataset(_iris(params, "default-graph-uri"), _iris(params, "named-graph-uri")))


def _update(texts: list[str], params: MultiDict[str, str]) -> UpdateOperation:
    return UpdateOperation(_single(texts, "update"), _iris(params, "using-graph-uri"),
                           _iris(params, "using-named-graph-uri"))


def read_operation(request: Request) -> QueryOperation | UpdateOperation | None:
    """The operation a request asks for; None for a GET that asks for the service description."""
    if request.method in ("GET", "HEAD"):
        params = request.args
        if "update" in params:
            raise BadRequest("SPARQL Update must be sent with POST (SPARQL 1.1 Protocol §2.2), never with GET")
        if "query" not in params:
            if "default-graph-uri" in params or "named-graph-uri" in params:
                raise BadRequest("missing query parameter")
            return None
        return _query(params.getlist("query"), params)
    mimetype = request.mimetype
    if mimetype == FORM:
        form = request.form
        params = MultiDict(list(form.items(multi=True)) + list(request.args.items(multi=True)))
        queries, updates = form.getlist("query"), form.getlist("update")
        if queries and updates:
            raise BadRequest("a request carries either query or update, not both")
        if updates:
            return _update(updates, params)
        if queries:
            return _query(queries, params)
        raise BadRequest("missing query or update parameter in the form body")
    if mimetype == SPARQL_QUERY:
        return QueryOperation(_body_text(request, "query"),
                              Dataset(_iris(request.args, "default-graph-uri"), _iris(request.args, "named-graph-uri")))
    if mimetype == SPARQL_UPDATE:
        return UpdateOperation(_body_text(request, "update"), _iris(request.args, "using-graph-uri"),
                               _iris(request.args, "using-named-graph-uri"))
    raise UnsupportedMediaType(
        f"a POST to the SPARQL endpoint must be {FORM}, {SPARQL_QUERY} or {SPARQL_UPDATE}, "
        f"not {mimetype or 'a body without Content-Type'}")
