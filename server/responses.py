"""HTTP responses for what the engine answers: query answers, RDF graphs, and the JSON-LD context.

One place decides the headers every door shares: the content type with its
charset, ``Vary: Accept`` where the body was negotiated, ``Healthkg-Truncated``
when the row cap cut an answer, and a ``Link`` to the JSON-LD context (rel
``http://www.w3.org/ns/json-ld#context``) on every compacted JSON-LD body, for
clients that read it as plain JSON. The context itself is served at
``/ontology/context.jsonld``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from flask import Response, url_for
from pyoxigraph import Literal, NamedNode, RdfFormat, Triple, serialize

from healthkg.engine import Answer
from healthkg.engine.formats import FORMATS_NS, Format, format_named
from healthkg.engine.jsonld import compact, dumps, packaged_context
from healthkg.engine.prefixes import prefix_map

TRUNCATED_HEADER = "Healthkg-Truncated"
CONTEXT_REL = "http://www.w3.org/ns/json-ld#context"
JSON_LD = format_named("jsonld")
# The W3C format registry has no prefix in bioregistry, the CURIE authority for all the others.
UNREGISTERED_PREFIXES = {"formats": FORMATS_NS}


def context_link() -> str:
    """The ``Link`` header value that names the context document."""
    return f'<{url_for("pages.ontology.context", _external=True)}>; rel="{CONTEXT_REL}"'


def context_response() -> Response:
    """The context document itself, cacheable: it changes only with a new release."""
    response = Response(dumps(packaged_context()).encode("utf-8"), content_type=JSON_LD.content_type)
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response


def answer_response(answer: Answer, *, negotiated: bool = True, max_rows: int | None = None) -> Response:
    """An engine answer: sent whole with its length when complete, else streamed and closed with the response.

    ``negotiated``: the format came from ``Accept`` (so ``Vary: Accept``); ``max_rows``: the cap the
    ``Healthkg-Truncated`` header names.
    """
    if answer.complete:
        response = Response(answer.body, content_type=answer.fmt.content_type)
    else:
        response = Response(answer.chunks(), content_type=answer.fmt.content_type)
        response.call_on_close(answer.close)
    if negotiated:
        response.vary.add("Accept")
    if answer.fmt == JSON_LD:
        response.headers["Link"] = context_link()
    if answer.truncated and max_rows is not None:
        response.headers[TRUNCATED_HEADER] = f"max-rows={max_rows}"
    return response


def iris(triples: Iterable[Triple]) -> Iterator[str]:
    """Every IRI the triples use (datatypes included): what their prefixes must cover."""
    for triple in triples:
        yield triple.predicate.value
        for term in (triple.subject, triple.object):
            if isinstance(term, NamedNode):
                yield term.value
            elif isinstance(term, Literal):
                yield term.datatype.value


def rdf_response(triples: list[Triple], fmt: Format, *, compact_jsonld: bool = True) -> Response:
    """Triples in a graph format, with prefixes for the IRIs they use.

    JSON-LD is compacted with the ontology's context, like every JSON-LD answer, unless
    ``compact_jsonld`` is off: the service and dataset descriptions speak other vocabularies.
    """
    if fmt == JSON_LD and compact_jsonld:
        response = Response(compact(serialize(triples, format=RdfFormat.N_TRIPLES) or b""),
                            content_type=fmt.content_type)
        response.headers["Link"] = context_link()
        return response
    used = set(iris(triples))
    prefixes = prefix_map(used) | {prefix: namespace for prefix, namespace in UNREGISTERED_PREFIXES.items()
                                   if any(iri.startswith(namespace) for iri in used)}
    body = serialize(triples, format=fmt.rdf_format, prefixes=prefixes) or b""
    return Response(body, content_type=fmt.content_type)
