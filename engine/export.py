"""Exports: the graph, or a CONSTRUCT query's result, for Gephi, Cytoscape, yEd, Graphviz and JSON-LD readers.

The property-graph formats (GraphML, GEXF, Cytoscape JSON, DOT) write the
projection of ``healthkg.engine.property_graph``: by default the domain of the
whole graph, provenance on request. JSON-LD writes triples, not a projection:
those of the same nodes, compacted with the graph's context. Every format that
has a place for metadata carries the data licence and the build it came from
(GraphML and Cytoscape graph attributes, GEXF ``<meta>``, a DOT comment and
caption, a dataset node in JSON-LD).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Collection, Iterable
from io import BytesIO
from typing import Any

import networkx as nx
from pyoxigraph import BlankNode, NamedNode, RdfFormat, Store, Triple, parse
from rdflib import Graph as RdfGraph

from healthkg.engine.dot_picture import write_dot
from healthkg.engine.licence import ATTRIBUTION, DATA_LICENSE, RIGHTS
from healthkg.engine.property_graph import (
    DOMAIN,
    FIGURE,
    LANGUAGES,
    UNKNOWN,
    included,
    node_key,
    node_kinds,
    query_graph,
    store_triples,
    whole_graph,
)
from healthkg.ontology import BASE

FORMATS = ("graphml", "gexf", "cytoscape", "dot", "jsonld")
DATASET = BASE  # what the JSON-LD licence statement is about: the dataset the IRIs belong to
DCTERMS = "http://purl.org/dc/terms/"


def parse_ntriples(data: bytes) -> list[Triple]:
    """Triples of a CONSTRUCT/DESCRIBE answer (N-Triples, as every backend returns them)."""
    return list(parse(BytesIO(data), format=RdfFormat.N_TRIPLES))


def metadata(version: str | None, include: Collection[str], lang: str, query: str | None) -> dict[str, str]:
    """Graph-level attributes: licence, attribution, and what was exported from which build."""
    selection = f"query {query}" if query else "+".join(["domain", *sorted(include)])
    return {"name": "healthkg", "license": DATA_LICENSE, "rights": RIGHTS, "attribution": ATTRIBUTION,
            "source_version": version or "", "selection": selection, "lang": lang}


def write_graphml(graph: nx.MultiDiGraph) -> bytes:
    buffer = BytesIO()
    nx.write_graphml(graph, buffer, encoding="utf-8", named_key_ids=True)
    return buffer.getvalue()


def write_gexf(graph: nx.MultiDiGraph) -> bytes:
    """GEXF, whose ``<meta>`` gets the licence as its description (GEXF has no graph attributes)."""
    buffer = BytesIO()
    nx.write_gexf(graph, buffer, encoding="utf-8")
    namespace = "http://www.gexf.net/1.2draft"
    ET.register_namespace("", namespace)
    ET.register_namespace("xsi", "http://www.w3.org/2001/XMLSchema-instance")
    root = ET.fromstring(buffer.getvalue())
    meta = root.find(f"{{{namespace}}}meta")
    if meta is not None:
        info = graph.graph
        ET.SubElement(meta, f"{{{namespace}}}keywords").text = ", ".join(
            filter(None, ("healthkg", info.get("selection"), info.get("source_version"))))
        ET.SubElement(meta, f"{{{namespace}}}description").text = (
            f"{info.get('attribution', '')}. {info.get('rights', '')} License: {info.get('license', '')}")
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def cytoscape_elements(graph: nx.MultiDiGraph) -> dict[str, Any]:
    """Cytoscape.js (and Cytoscape desktop) JSON: ``{"data": {...}, "elements": {"nodes": [...], "edges": [...]}}``.

    Each edge gets an ``id`` of its own, since Cytoscape.js needs unique
    element ids and parallel edges between two nodes differ only by predicate;
    the network's own attributes (licence, source) are an object, as Cytoscape
    reads them, where networkx writes a list of pairs.
    """
    data = nx.cytoscape_data(graph, name="label", ident="id")
    data["data"] = dict(data["data"])
    for element in data["elements"]["edges"]:
        edge = element["data"]
        edge["id"] = f"{edge['source']} {edge['key']} {edge['target']}"
    return data


def write_cytoscape(graph: nx.MultiDiGraph) -> bytes:
    return json.dumps(cytoscape_elements(graph), ensure_ascii=False, indent=1).encode("utf-8")


def write_jsonld(triples: Iterable[Triple], context: dict[str, Any], about: dict[str, str] | None = None) -> bytes:
    """The triples themselves (not the projection) as JSON-LD compacted with ``context``.

    ``about`` (graph metadata) adds a node for the dataset with its licence
    (``dcterms:license``) and rights statement, so the licence travels with the data.
    """
    data = b"".join(f"{t} .\n".encode() for t in triples)
    rdf = RdfGraph()
    rdf.parse(data=data, format="nt")
    if about:
        statement = (f"<{DATASET}> <{DCTERMS}license> <{about['license']}> .\n"
                     f"<{DATASET}> <{DCTERMS}rights> {json.dumps(about['rights'], ensure_ascii=False)} .\n")
        rdf.parse(data=statement, format="nt")
    text = rdf.serialize(format="json-ld", context=context["@context"], auto_compact=True, ensure_ascii=False)
    return text.encode("utf-8")


def domain_triples(store: Store, include: Collection[str]) -> list[Triple]:
    """The triples the JSON-LD export of the whole graph holds: those about the selected nodes.

    The domain and its budget figures (in RDF a figure is a node, not an
    attribute), plus what ``include`` adds; links to provenance left out go too.
    """
    categories = included(include, base=(DOMAIN, FIGURE))
    triples = store_triples(store)
    if categories is None:
        return triples
    kinds = node_kinds(store)

    def kept(term: Any) -> bool:
        return kinds.get(node_key(term), UNKNOWN).category in categories

    def dropped(term: Any) -> bool:
        return isinstance(term, (NamedNode, BlankNode)) and node_key(term) in kinds and not kept(term)

    return [t for t in triples if isinstance(t.subject, (NamedNode, BlankNode)) and kept(t.subject)
            and not dropped(t.object)]


def export(store: Store, fmt: str, context: dict[str, Any], *, triples: list[Triple] | None = None,
           include: Collection[str] = (), lang: str = "ja", version: str | None = None,
           query: str | None = None) -> bytes:
    """The whole graph (or ``triples``, a query's result) in one of FORMATS.

    ``include`` adds parts of the whole graph to its domain (provenance,
    figures, all); ``lang`` chooses the labels; ``version`` and ``query`` name
    the source in the file's metadata.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; one of {', '.join(FORMATS)}")
    if lang not in LANGUAGES:
        raise ValueError(f"unknown label language {lang!r}; one of {', '.join(LANGUAGES)}")
    about = metadata(version, include, lang, query)
    if fmt == "jsonld":
        return write_jsonld(triples if triples is not None else domain_triples(store, include), context, about)
    graph = query_graph(triples, store, lang=lang) if triples is not None else whole_graph(
        store, include=include, lang=lang)
    graph.graph.update(about)
    if fmt == "dot":
        return write_dot(graph, summarise=triples is None)
    writers = {"graphml": write_graphml, "gexf": write_gexf, "cytoscape": write_cytoscape}
    return writers[fmt](graph)
