"""The ontology IRI: its RDF (Turtle, RDF/XML, JSON-LD, N-Triples), its JSON-LD context, and an HTML page
generated from the TBox.

The page is rendered from the ontology's named graph in the served store, so it
documents exactly the ontology the data was built and checked with. Each term has
an anchor named after its local name, so ``hkg:Program`` dereferences to
``/ontology#Program``.
"""

from __future__ import annotations

import re
from collections import defaultdict

from flask import Blueprint, Response, make_response, render_template
from werkzeug.exceptions import NotFound

from healthkg.engine.formats import Format
from healthkg.engine.prefixes import compact
from healthkg.server.pages.queries import Row, construct, select
from healthkg.server.pages.representations import BY_EXTENSION, BY_MEDIA_TYPE, HTML, PAGE_FORMATS, negotiate
from healthkg.server.pages.terms import base_iri, unique
from healthkg.server.responses import context_response, rdf_response

blueprint = Blueprint("ontology", __name__)

OWL = "http://www.w3.org/2002/07/owl#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
KINDS = {
    OWL + "Class": "classes",
    OWL + "ObjectProperty": "object_properties",
    OWL + "DatatypeProperty": "datatype_properties",
    OWL + "AnnotationProperty": "annotation_properties",
}


def _graph() -> str:
    return base_iri() + "graph/ontology"


def anchor(iri: str) -> str:
    """The fragment a term is documented under: its local name for this ontology's own terms
    (so ``hkg:Plan`` is ``/ontology#Plan``), its CURIE for the terms it declares from other
    vocabularies (``prov:Plan`` is ``#prov-Plan``), so the two never collide."""
    own = base_iri() + "ontology#"
    if iri.startswith(own):
        return iri[len(own):]
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", compact(iri) or iri)


def _terms() -> dict[str, list[tuple[Row, dict[str, list[Row]]]]]:
    relations: dict[str, dict[str, list[Row]]] = defaultdict(lambda: defaultdict(list))
    for row in unique(select("ontology-relations", graph=_graph()), "term", "relation", "target"):
        relations[str(row["term"])][str(row["relation"])].append(row)
        if str(row["relation"]) == RDFS + "subClassOf":
            relations[str(row["target"])]["subclasses"].append({"target": row["term"]})
        if str(row["relation"]) in (RDFS + "domain", RDFS + "range"):
            relations[str(row["target"])]["used_by"].append({"target": row["term"]})
    grouped: dict[str, list[tuple[Row, dict[str, list[Row]]]]] = {kind: [] for kind in KINDS.values()}
    own = base_iri() + "ontology#"
    terms = unique(select("ontology-terms", graph=_graph()), "term", "kind")
    for row in sorted(terms, key=lambda row: not str(row["term"]).startswith(own)):
        grouped[KINDS[str(row["kind"])]].append((row, relations[str(row["term"])]))
    return grouped


def _page() -> str:
    header = select("ontology-header", graph=_graph())
    if not header:
        raise NotFound("the store holds no ontology graph")
    return render_template(
        "ontology.html",
        ontology=base_iri() + "ontology",
        header=header,
        terms=_terms(),
        anchor=anchor,
        formats=PAGE_FORMATS,
    )


def _rdf(fmt: Format) -> Response:
    return rdf_response(construct("ontology-graph", graph=_graph()), fmt)


@blueprint.route("/ontology")
def ontology() -> Response:
    chosen = negotiate([HTML, *BY_MEDIA_TYPE])
    response = make_response(_page()) if chosen == HTML else _rdf(BY_MEDIA_TYPE[chosen])
    response.vary.add("Accept")
    return response


@blueprint.route("/ontology/context.jsonld")
def context() -> Response:
    return context_response()


@blueprint.route("/ontology.<extension>")
def ontology_file(extension: str) -> Response:
    if extension == "html":
        return make_response(_page())
    if extension == "owl":
        return _rdf(BY_EXTENSION["rdf"])
    if extension not in BY_EXTENSION:
        raise NotFound(f"the ontology is served as .html, .owl, {', '.join('.' + e for e in BY_EXTENSION)}")
    return _rdf(BY_EXTENSION[extension])
