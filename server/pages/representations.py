"""RDF responses: which serialisation a client gets, and writing triples with readable prefixes.

Content negotiation uses the q-values of the Accept header (werkzeug's parser); a
file extension in the URL wins over Accept, so a link can name its format.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from flask import Response, request
from pyoxigraph import Literal, NamedNode, RdfFormat, Triple, serialize
from werkzeug.exceptions import NotAcceptable

from healthkg.engine.prefixes import prefix_map
from healthkg.server.jsonld import compact, jsonld_response


@dataclass(frozen=True)
class Serialisation:
    extension: str
    media_type: str
    format: RdfFormat
    label: str


SERIALISATIONS = (
    Serialisation("ttl", "text/turtle", RdfFormat.TURTLE, "Turtle"),
    Serialisation("jsonld", "application/ld+json", RdfFormat.JSON_LD, "JSON-LD"),
    Serialisation("nt", "application/n-triples", RdfFormat.N_TRIPLES, "N-Triples"),
    Serialisation("rdf", "application/rdf+xml", RdfFormat.RDF_XML, "RDF/XML"),
)
BY_EXTENSION = {s.extension: s for s in SERIALISATIONS}
BY_MEDIA_TYPE = {s.media_type: s for s in SERIALISATIONS} | {"application/json": BY_EXTENSION["jsonld"]}
HTML = "text/html"


def negotiate(offers: Iterable[str]) -> str:
    """The offered media type the client prefers; the first offer when it has no preference."""
    offers = list(offers)
    if not request.accept_mimetypes:
        return offers[0]
    best = request.accept_mimetypes.best_match(offers)
    if best is None:
        raise NotAcceptable(f"this resource is available as {', '.join(offers)}")
    return best


def iris(triples: Iterable[Triple]) -> Iterator[str]:
    """Every IRI the triples use (datatypes included): what their prefixes must cover."""
    for triple in triples:
        yield triple.predicate.value
        for term in (triple.subject, triple.object):
            if isinstance(term, NamedNode):
                yield term.value
            elif isinstance(term, Literal):
                yield term.datatype.value


def serialise(triples: list[Triple], serialisation: Serialisation) -> bytes:
    if serialisation.format == RdfFormat.JSON_LD:
        return compact(serialize(triples, format=RdfFormat.N_TRIPLES) or b"")
    if serialisation.format in (RdfFormat.TURTLE, RdfFormat.RDF_XML):
        return serialize(triples, format=serialisation.format, prefixes=prefix_map(iris(triples))) or b""
    return serialize(triples, format=serialisation.format) or b""


def rdf_response(triples: list[Triple], serialisation: Serialisation) -> Response:
    if serialisation.format == RdfFormat.JSON_LD:
        return jsonld_response(serialise(triples, serialisation))
    return Response(serialise(triples, serialisation), content_type=f"{serialisation.media_type}; charset=utf-8")
