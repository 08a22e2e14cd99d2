"""JSON-LD answers compacted with the ontology's context, and that context at a URL of its own.

Every JSON-LD answer (entity pages, ``/sparql`` CONSTRUCT/DESCRIBE, graph
queries of ``/api/queries``) is compacted with the committed context, so a
client reads ``label``, ``inProject``, ``amountYen`` rather than full IRIs,
whichever door it came through. The context is inlined, so each answer stands
on its own; it is also published at ``/ontology/context.jsonld`` and named in a
``Link`` header (rel ``http://www.w3.org/ns/json-ld#context``) for clients that
read the body as plain JSON.

Compaction needs the whole graph in memory (rdflib groups triples by
subject), so it is not streamed: a JSON-LD answer is bounded by ``MAX_ROWS``
triples; large graphs stream as N-Triples or Turtle.
"""

from __future__ import annotations

from flask import Response, url_for

from healthkg.engine.jsonld import dumps, packaged_context

CONTEXT_REL = "http://www.w3.org/ns/json-ld#context"
CONTENT_TYPE = "application/ld+json; charset=utf-8"


def compact(ntriples: bytes) -> bytes:
    """The N-Triples ``ntriples`` as JSON-LD compacted with the packaged context."""
    from rdflib import Graph  # only when JSON-LD is asked for: the server starts and stays 6 MiB smaller

    graph = Graph()
    graph.parse(data=ntriples, format="nt")
    return graph.serialize(format="json-ld", context=packaged_context()["@context"], auto_compact=True,
                           encoding="utf-8")


def context_link() -> str:
    """The ``Link`` header value that names the context document."""
    return f'<{url_for("pages.ontology.context", _external=True)}>; rel="{CONTEXT_REL}"'


def jsonld_response(body: bytes) -> Response:
    response = Response(body, content_type=CONTENT_TYPE)
    response.headers["Link"] = context_link()
    return response


def context_response() -> Response:
    """The context document itself, cacheable: it changes only with a new release."""
    response = Response(dumps(packaged_context()).encode("utf-8"), content_type=CONTENT_TYPE)
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response
