"""The graph, or a CONSTRUCT query's result, as a property graph for Gephi, Cytoscape and yEd.

RDF puts everything in triples; graph tools want nodes and edges with
attributes. The projection: every IRI or blank node that is a subject, or
the object of a link, becomes a node; links between them become edges named
by their predicate; ``rdf:type`` and literal values become node attributes
(types, ja/en labels, ``amount_yen``, ``fiscal_year``, the rest keyed by
their predicate's CURIE). Nodes a query result only names still get their
labels, types and amounts, looked up in the store, so a picture never shows
bare IRIs where the graph knows a name.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from io import BytesIO
from typing import Any

import networkx as nx
from pyoxigraph import BlankNode, Literal, NamedNode, RdfFormat, Store, Triple, parse
from rdflib import Graph as RdfGraph

from healthkg.engine.prefixes import compact
from healthkg.ontology import GRAPH, HKG

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
AMOUNT = str(HKG.amountYen)
YEAR = str(HKG.fiscalYearNumber)
# Numeric attributes keep their type, so that Gephi can size and filter by them.
NUMERIC_ATTRIBUTES = {AMOUNT: ("amount_yen", float), YEAR: ("fiscal_year", int)}
FORMATS = ("graphml", "gexf", "cytoscape", "dot", "jsonld")
# The TBox is drawn by the ontology diagram; in an instance picture its classes
# would become hubs that every node links to.
SCHEMA_GRAPHS = (str(GRAPH.ontology),)

Node = NamedNode | BlankNode
_DOT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _key(term: Node) -> str:
    return term.value if isinstance(term, NamedNode) else f"_:{term.value}"


def _short(iri: str) -> str:
    return compact(iri) or iri


def store_triples(store: Store, *, exclude_graphs: Iterable[str] = SCHEMA_GRAPHS) -> list[Triple]:
    """Every distinct triple of the store's named graphs, except the schema's."""
    excluded = set(exclude_graphs)
    seen: set[Triple] = set()
    for quad in store.quads_for_pattern(None, None, None, None):
        graph = quad.graph_name
        if isinstance(graph, NamedNode) and graph.value in excluded:
            continue
        seen.add(quad.triple)
    return sorted(seen, key=str)


def parse_ntriples(data: bytes) -> list[Triple]:
    """Triples of a CONSTRUCT/DESCRIBE answer (N-Triples, as every backend returns them)."""
    return list(parse(BytesIO(data), format=RdfFormat.N_TRIPLES))


class _Lookup:
    """Labels, types and amounts of nodes, from the store, for nodes the triples leave bare."""

    def __init__(self, store: Store | None) -> None:
        self.store = store

    def values(self, node: Node, predicate: str) -> list[NamedNode | BlankNode | Literal]:
        if self.store is None:
            return []
        found = {q.object for q in self.store.quads_for_pattern(node, NamedNode(predicate), None, None)}
        return sorted(found, key=str)  # type: ignore[arg-type]


def property_graph(triples: Iterable[Triple], store: Store | None = None) -> nx.MultiDiGraph:
    """Nodes and edges with attributes; ``store`` (optional) fills in names the triples lack."""
    lookup = _Lookup(store)
    literals: dict[Node, dict[str, list[Literal]]] = defaultdict(lambda: defaultdict(list))
    types: dict[Node, set[str]] = defaultdict(set)
    edges: set[tuple[Node, str, Node]] = set()
    nodes: set[Node] = set()
    for triple in triples:
        subject, predicate, obj = triple.subject, triple.predicate.value, triple.object
        if not isinstance(subject, (NamedNode, BlankNode)):
            continue  # RDF-star quoted triples have no place in a property graph
        nodes.add(subject)
        if predicate == RDF_TYPE and isinstance(obj, NamedNode):
            types[subject].add(obj.value)
        elif isinstance(obj, Literal):
            literals[subject][predicate].append(obj)
        elif isinstance(obj, (NamedNode, BlankNode)):
            nodes.add(obj)
            edges.add((subject, predicate, obj))

    graph = nx.MultiDiGraph(name="healthkg")
    for node in sorted(nodes, key=_key):
        own = literals.get(node, {})
        for predicate in (RDFS_LABEL, AMOUNT, YEAR):
            if predicate not in own:
                found = [v for v in lookup.values(node, predicate) if isinstance(v, Literal)]
                if found:
                    own = {**own, predicate: found}
        node_types = types.get(node) or {v.value for v in lookup.values(node, RDF_TYPE) if isinstance(v, NamedNode)}
        graph.add_node(_key(node), **_node_attributes(node, node_types, own))
    predicate_labels = {p: _labels(lookup.values(NamedNode(p), RDFS_LABEL)) for p in {e[1] for e in edges}}
    for subject, predicate, obj in sorted(edges, key=lambda e: (_key(e[0]), e[1], _key(e[2]))):
        curie = _short(predicate)
        ja, en = predicate_labels[predicate]
        graph.add_edge(
            _key(subject), _key(obj), key=curie,
            predicate=predicate, curie=curie, label=en or curie.split(":")[-1], label_ja=ja or "",
        )
    return graph


def _labels(values: Iterable[Any]) -> tuple[str, str]:
    ja = en = ""
    for value in values:
        if isinstance(value, Literal):
            if value.language == "ja" and not ja:
                ja = value.value
            elif value.language == "en" and not en:
                en = value.value
            elif not value.language and not en:
                en = value.value
    return ja, en


def _node_attributes(node: Node, node_types: set[str], own: dict[str, list[Literal]]) -> dict[str, Any]:
    iri = _key(node)
    curie = _short(iri) if isinstance(node, NamedNode) else iri
    ja, en = _labels(own.get(RDFS_LABEL, ()))
    type_curies = sorted((_short(t) for t in node_types), key=lambda c: (not c.startswith("hkg:"), c))
    attributes: dict[str, Any] = {
        "iri": iri,
        "curie": curie,
        "label": ja or en or curie,
        "label_ja": ja,
        "label_en": en,
        "type": " ".join(type_curies),
    }
    for predicate, (name, cast) in NUMERIC_ATTRIBUTES.items():
        values = own.get(predicate)
        if values:
            attributes[name] = cast(values[0].value)
    for predicate, values in sorted(own.items()):
        if predicate in (RDFS_LABEL, *NUMERIC_ATTRIBUTES):
            continue
        name = _short(predicate).replace(":", "_")
        attributes[name] = " | ".join(sorted({v.value for v in values}))
    return attributes


def write_graphml(graph: nx.MultiDiGraph) -> bytes:
    buffer = BytesIO()
    nx.write_graphml(graph, buffer, encoding="utf-8", named_key_ids=True)
    return buffer.getvalue()


def write_gexf(graph: nx.MultiDiGraph) -> bytes:
    buffer = BytesIO()
    nx.write_gexf(graph, buffer, encoding="utf-8")
    return buffer.getvalue()


def cytoscape_elements(graph: nx.MultiDiGraph) -> dict[str, Any]:
    """Cytoscape.js (and Cytoscape desktop) JSON: ``{"elements": {"nodes": [...], "edges": [...]}}``.

    Each edge gets an ``id`` of its own, since Cytoscape.js needs unique
    element ids and parallel edges between two nodes differ only by predicate.
    """
    data = nx.cytoscape_data(graph, name="label", ident="id")
    for element in data["elements"]["edges"]:
        edge = element["data"]
        edge["id"] = f"{edge['source']} {edge['key']} {edge['target']}"
    return data  # type: ignore[no-any-return]


def write_cytoscape(graph: nx.MultiDiGraph) -> bytes:
    return json.dumps(cytoscape_elements(graph), ensure_ascii=False, indent=1).encode("utf-8")


def _dot_id(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _dot_name(name: str) -> str:
    return name if _DOT_NAME.match(name) else _dot_id(name)


def _dot_value(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _dot_id(str(value))


def _dot_attributes(data: dict[str, Any]) -> str:
    return ", ".join(f"{_dot_name(k)}={_dot_value(v)}" for k, v in data.items() if v not in ("", None))


def write_dot(graph: nx.MultiDiGraph) -> bytes:
    """Graphviz DOT, written directly so that exporting needs no Graphviz installation."""
    lines = [f"digraph {_dot_id(graph.graph.get('name', 'healthkg'))} {{",
             '  graph [rankdir="LR", charset="UTF-8"];',
             '  node [shape="box", style="rounded"];']
    for node, data in graph.nodes(data=True):
        lines.append(f"  {_dot_id(node)} [{_dot_attributes(data)}];")
    for source, target, data in graph.edges(data=True):
        lines.append(f"  {_dot_id(source)} -> {_dot_id(target)} [{_dot_attributes(data)}];")
    lines.append("}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def write_jsonld(triples: Iterable[Triple], context: dict[str, Any]) -> bytes:
    """The triples themselves (not the projection) as JSON-LD compacted with ``context``."""
    data = b"".join(f"{t} .\n".encode() for t in triples)
    rdf = RdfGraph()
    rdf.parse(data=data, format="nt")
    text = rdf.serialize(format="json-ld", context=context["@context"], auto_compact=True, ensure_ascii=False)
    return text.encode("utf-8")


def export(triples: list[Triple], fmt: str, store: Store | None, context: dict[str, Any]) -> bytes:
    """``triples`` in one of FORMATS, labels and amounts completed from ``store``."""
    if fmt == "jsonld":
        return write_jsonld(triples, context)
    writers = {"graphml": write_graphml, "gexf": write_gexf, "cytoscape": write_cytoscape, "dot": write_dot}
    if fmt not in writers:
        raise ValueError(f"unknown export format {fmt!r}; one of {', '.join(FORMATS)}")
    return writers[fmt](property_graph(triples, store))
