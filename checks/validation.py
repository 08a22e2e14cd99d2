"""SHACL validation (pyshacl) of the whole graph against ``shapes.ttl``, reported as readable violations."""

from __future__ import annotations

from functools import cache
from importlib import resources

from pyoxigraph import QueryTriples, RdfFormat, Store
from rdflib import RDF, RDFS, Graph, Namespace, URIRef
from rdflib.term import Node

from healthkg.checks.qc import Violation

SH = Namespace("http://www.w3.org/ns/shacl#")


@cache
def _shapes() -> Graph:
    text = resources.files("healthkg.ontology").joinpath("shapes.ttl").read_text(encoding="utf-8")
    return Graph().parse(data=text, format="turtle", publicID="shapes.ttl")


def shapes_graph() -> Graph:
    copy = Graph()
    copy += _shapes()
    return copy


def store_graph(store: Store) -> Graph:
    """The union of a store's named graphs as one rdflib graph (SHACL sees the ontology with the data)."""
    triples = store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", use_default_graph_as_union=True)
    assert isinstance(triples, QueryTriples)
    data = triples.serialize(format=RdfFormat.N_TRIPLES) or b""
    return Graph().parse(data=data.decode("utf-8"), format="nt")


def _name(graph: Graph, node: Node | None) -> str:
    if node is None:
        return ""
    labels = [str(label) for label in graph.objects(node, RDFS.label) if getattr(label, "language", None) == "ja"]
    shown = node.n3() if not isinstance(node, URIRef) else f"<{node}>"
    return f"{shown} ({labels[0]})" if labels else shown


def shacl_violations(data: Graph) -> list[Violation]:
    """One Violation per SHACL result; an empty list when the data conforms."""
    from pyshacl import validate

    conforms, report, _ = validate(data, shacl_graph=_shapes(), inference="none", advanced=False,
                                   allow_warnings=True, abort_on_first=False)
    if conforms:
        return []
    assert isinstance(report, Graph)
    found = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        shape = report.value(result, SH.sourceShape)
        owner = next(_shapes().subjects(SH.property, shape), shape)
        row = {
            "focus": _name(data, report.value(result, SH.focusNode)),
            "path": str(report.value(result, SH.resultPath) or ""),
            "message": str(report.value(result, SH.resultMessage) or ""),
        }
        value = report.value(result, SH.value)
        if value is not None:
            row["value"] = _name(data, value)
        name = str(owner).rsplit("#", 1)[-1] if isinstance(owner, URIRef) else "shape"
        found.append(Violation(f"shacl:{name}", row))
    return sorted(found, key=str)
