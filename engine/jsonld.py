"""JSON-LD: the graph's context (short keys for its terms, typed values, registry prefixes) and answers
compacted with it.

The context is derived from a built store (every predicate and class the
graph uses, coerced by the ontology's ``rdfs:range`` or, for terms of other
vocabularies, by the values the graph holds) and committed as
``ontology/context.jsonld``; a test rebuilds it from the seed and compares, so
it cannot drift from the ontology. Regenerate with
``healthkg export --format context --out ontology/context.jsonld``.

Every JSON-LD answer (``/sparql`` CONSTRUCT/DESCRIBE, ``/api/queries``, entity
pages) is compacted with the committed context by :func:`compact`, so a
client reads ``label``, ``inProject``, ``amountYen`` rather than full IRIs,
whichever door it came through. The context is inlined, so each answer stands
on its own. Compaction needs the whole graph in memory (rdflib groups triples
by subject), so a JSON-LD answer is not streamed.
"""

from __future__ import annotations

import json
from collections import defaultdict
from functools import cache
from importlib import resources
from typing import Any

from pyoxigraph import BlankNode, Literal, NamedNode, Store

from healthkg.engine import prefixes
from healthkg.ontology import HKG

CONTEXT_FILE = "context.jsonld"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_RANGE = "http://www.w3.org/2000/01/rdf-schema#range"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


def _local_name(iri: str) -> str:
    return iri.rsplit("#", 1)[-1] if "#" in iri else iri.rstrip("/").rsplit("/", 1)[-1]


def _coercion(store: Store, predicate: str, objects: set[str]) -> dict[str, str]:
    """How values of ``predicate`` are written: IRIs, a datatype, a language map, or plain."""
    declared = {str(getattr(q.object, "value", "")) for q in
                store.quads_for_pattern(NamedNode(predicate), NamedNode(RDF_TYPE), None, None)}
    ranges = {str(getattr(q.object, "value", "")) for q in
              store.quads_for_pattern(NamedNode(predicate), NamedNode(RDFS_RANGE), None, None)}
    if OWL + "ObjectProperty" in declared or objects == {"@id"}:
        return {"@type": "@id"}
    datatypes = {r for r in ranges if r.startswith(XSD)} or objects
    if datatypes == {LANG_STRING, XSD + "string"}:
        # Mostly names in two languages, a few plain strings (labels of external
        # terms): the language map reads best; plain values keep the CURIE key.
        return {"@container": "@language"}
    if len(datatypes) != 1:
        return {}
    (datatype,) = datatypes
    if datatype == LANG_STRING:
        return {"@container": "@language"}
    if datatype in (XSD + "string", "@id"):
        return {}
    return {"@type": prefixes.compact(datatype) or datatype}


def context_document(store: Store) -> dict[str, Any]:
    """The ``{"@context": ...}`` document for everything ``store`` holds."""
    objects: dict[str, set[str]] = defaultdict(set)
    classes: set[str] = set()
    mentioned: set[str] = set()  # every IRI and datatype, for the prefixes
    for quad in store.quads_for_pattern(None, None, None, None):
        predicate, obj = quad.predicate.value, quad.object
        mentioned.update(t.value for t in (quad.subject, obj) if isinstance(t, NamedNode))
        if isinstance(obj, Literal):
            mentioned.add(obj.datatype.value)
        if predicate == RDF_TYPE and isinstance(obj, NamedNode):
            classes.add(obj.value)
        elif isinstance(obj, Literal):
            objects[predicate].add(LANG_STRING if obj.language else obj.datatype.value)
        elif isinstance(obj, (NamedNode, BlankNode)):
            objects[predicate].add("@id")
    iris = sorted(classes | set(objects))
    terms: dict[str, Any] = {}
    # Our own terms claim their local names first; another vocabulary's term with
    # the same local name is written as a CURIE instead.
    for iri in sorted(iris, key=lambda i: (not i.startswith(str(HKG)), i)):
        curie = prefixes.compact(iri)
        name = _local_name(iri)
        if curie is None or name in terms or not name.isidentifier():
            continue
        coercion = _coercion(store, iri, objects[iri]) if iri in objects else {}
        terms[name] = {"@id": curie, **coercion} if coercion else curie
    context: dict[str, Any] = dict(prefixes.prefix_map(mentioned | set(iris)))
    context.update(sorted(terms.items(), key=lambda item: (item[0].lower(), item[0])))
    return {"@context": context}


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


@cache
def packaged_context() -> dict[str, Any]:
    """The committed context shipped with the ontology (what servers hand to clients)."""
    text = resources.files("healthkg.ontology").joinpath(CONTEXT_FILE).read_text(encoding="utf-8")
    return json.loads(text)


def compact(ntriples: bytes) -> bytes:
    """The N-Triples ``ntriples`` as JSON-LD compacted with the packaged context."""
    from rdflib import Graph  # only when JSON-LD is asked for: a server that never writes it stays smaller

    graph = Graph()
    graph.parse(data=ntriples, format="nt")
    return graph.serialize(format="json-ld", context=packaged_context()["@context"], auto_compact=True,
                           encoding="utf-8")
