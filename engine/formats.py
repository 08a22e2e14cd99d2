"""The response formats a SPARQL service speaks: media types, serialisers and W3C format IRIs.

One table serves content negotiation, the serialisers and the service
description, so the formats a server advertises are exactly those it writes.
The ``iri`` of each is its identifier in the W3C format registry
(http://www.w3.org/ns/formats/), the range of ``sd:resultFormat``.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyoxigraph import RdfFormat

FORMATS_NS = "http://www.w3.org/ns/formats/"


@dataclass(frozen=True)
class Format:
    """A serialisation: ``kind`` is ``results`` (SELECT/ASK) or ``graph`` (CONSTRUCT/DESCRIBE)."""

    name: str
    kind: str
    media_type: str
    iri: str
    extension: str
    label: str
    aliases: tuple[str, ...] = ()
    rdf_format: RdfFormat | None = None

    @property
    def content_type(self) -> str:
        """Media type with the charset: every format is written in UTF-8.

        SPARQL JSON results go without one: JSON is UTF-8 by definition and its
        registration defines no charset parameter. JSON-LD carries it all the
        same (harmless, RFC 8259 §11), because browsers and some clients fall back to
        Latin-1 without it; the XML types define the parameter (RFC 7303).
        """
        if self.media_type == "application/sparql-results+json":
            return self.media_type
        return f"{self.media_type}; charset=utf-8"


# Order is preference: the first of each kind is the default when the client accepts anything.
RESULT_FORMATS: tuple[Format, ...] = (
    Format("json", "results", "application/sparql-results+json", FORMATS_NS + "SPARQL_Results_JSON", "srj",
           "SPARQL JSON", aliases=("application/json",)),
    Format("xml", "results", "application/sparql-results+xml", FORMATS_NS + "SPARQL_Results_XML", "srx", "SPARQL XML",
           aliases=("application/xml", "text/xml")),
    Format("csv", "results", "text/csv", FORMATS_NS + "SPARQL_Results_CSV", "csv", "CSV"),
    Format("tsv", "results", "text/tab-separated-values", FORMATS_NS + "SPARQL_Results_TSV", "tsv", "TSV"),
)
GRAPH_FORMATS: tuple[Format, ...] = (
    Format("turtle", "graph", "text/turtle", FORMATS_NS + "Turtle", "ttl", "Turtle",
           aliases=("application/x-turtle",), rdf_format=RdfFormat.TURTLE),
    Format("ntriples", "graph", "application/n-triples", FORMATS_NS + "N-Triples", "nt", "N-Triples",
           rdf_format=RdfFormat.N_TRIPLES),
    Format("nquads", "graph", "application/n-quads", FORMATS_NS + "N-Quads", "nq", "N-Quads",
           aliases=("text/x-nquads",), rdf_format=RdfFormat.N_QUADS),
    Format("trig", "graph", "application/trig", FORMATS_NS + "TriG", "trig", "TriG", rdf_format=RdfFormat.TRIG),
    Format("rdfxml", "graph", "application/rdf+xml", FORMATS_NS + "RDF_XML", "rdf", "RDF/XML",
           rdf_format=RdfFormat.RDF_XML),
    Format("jsonld", "graph", "application/ld+json", FORMATS_NS + "JSON-LD", "jsonld", "JSON-LD",
           rdf_format=RdfFormat.JSON_LD),
    Format("n3", "graph", "text/n3", FORMATS_NS + "N3", "n3", "N3", aliases=("text/rdf+n3",), rdf_format=RdfFormat.N3),
)
ALL_FORMATS = RESULT_FORMATS + GRAPH_FORMATS
_BY_NAME = {fmt.name: fmt for fmt in ALL_FORMATS}


def format_named(name: str) -> Format:
    """The format a name (``json``, ``turtle``, ...) stands for: how requests name formats as plain data."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ValueError(f"no format named {name!r}") from None


def by_media_type(media_type: str) -> Format | None:
    """The format a media type (parameters ignored, any case) names, if any."""
    bare = media_type.split(";", 1)[0].strip().lower()
    for fmt in ALL_FORMATS:
        if bare == fmt.media_type or bare in fmt.aliases:
            return fmt
    return None
