"""Reading a SPARQL 1.1 Protocol request: which operation, its text and its dataset.

https://www.w3.org/TR/sparql11-protocol/ §2.1 (query) and §2.2 (update):

* query via GET: ``?query=`` exactly once, plus ``default-graph-uri`` and ``named-graph-uri``;
* query via POST with ``application/x-www-form-urlencoded``: the same parameters in the body;
* query via POST with ``application/sparql-query``: the query is the body, dataset
  parameters in the URL;
* update via POST, form-encoded (``update=``, ``using-graph-uri``, ``using-named-graph-uri``)
  or as an ``application/sparql-update`` body (``using-…`` in the URL). Never via GET.

Everything is UTF-8, as the protocol requires: a ``charset`` other than UTF-8 is
415, bytes that are not UTF-8 (raw or percent-encoded) are 400, never guessed
or replaced. A GET without ``query`` asks for the service description.
Everything else is a client error naming what is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl

from flask import Request
from werkzeug.datastructures import MultiDict

from healthkg.engine.backends import Dataset
from healthkg.server.errors import BadRequest, UnsupportedMediaType

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"
ABSOLUTE_IRI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s<>\"{}|\\^`]*$")
UTF_8 = ("utf-8", "utf8")
MAX_PARAMETERS = 1000


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


def _utf8_only(request: Request, what: str) -> None:
    charset = request.mimetype_params.get("charset")
    if charset is not None and charset.strip().lower() not in UTF_8:
        raise UnsupportedMediaType(f"the {what} must be UTF-8 (SPARQL 1.1 Protocol), not charset={charset}")


def _decoded(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadRequest(f"the {what} is not valid UTF-8: byte {error.start} ({data[error.start:error.start + 1]!r})"
                         ) from None


def parameters(encoded: bytes, what: str) -> MultiDict[str, str]:
    """URL-encoded parameters read strictly: percent-encoded bytes must be UTF-8 too."""
    try:
        pairs = parse_qsl(_decoded(encoded, what), keep_blank_values=True, encoding="utf-8", errors="strict",
                          max_num_fields=MAX_PARAMETERS)
    except UnicodeDecodeError:
        raise BadRequest(f"the {what} has percent-encoded bytes that are not UTF-8") from None
    except ValueError:
        raise BadRequest(f"the {what} has more than {MAX_PARAMETERS} parameters") from None
    return MultiDict(pairs)


def _body_text(request: Request, what: str) -> str:
    _utf8_only(request, what)
    text = _decoded(request.get_data(cache=False), what)
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
    url_params = parameters(request.query_string, "URL")
    if request.method in ("GET", "HEAD"):
        params = url_params
        if "update" in params:
            raise BadRequest("SPARQL Update must be sent with POST (SPARQL 1.1 Protocol §2.2), never with GET")
        if "query" not in params:
            if "default-graph-uri" in params or "named-graph-uri" in params:
                raise BadRequest("missing query parameter")
            return None
        return _query(params.getlist("query"), params)
    mimetype = request.mimetype
    if mimetype == FORM:
        _utf8_only(request, "form")
        form = parameters(request.get_data(cache=False), "form")
        params = MultiDict(list(form.items(multi=True)) + list(url_params.items(multi=True)))
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
                              Dataset(_iris(url_params, "default-graph-uri"), _iris(url_params, "named-graph-uri")))
    if mimetype == SPARQL_UPDATE:
        return UpdateOperation(_body_text(request, "update"), _iris(url_params, "using-graph-uri"),
                               _iris(url_params, "using-named-graph-uri"))
    raise UnsupportedMediaType(
        f"a POST to the SPARQL endpoint must be {FORM}, {SPARQL_QUERY} or {SPARQL_UPDATE}, "
        f"not {mimetype or 'a body without Content-Type'}")
