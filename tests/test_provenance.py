"""Every statement outside the ontology can be traced to a document line or a source URL."""

from __future__ import annotations

from pathlib import Path

from healthkg.engine.backends import LocalBackend
from healthkg.engine.store import open_store

UNTRACED = """
PREFIX hkg:  <https://w3id.org/healthkg/ontology#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX rdf:  <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX time: <http://www.w3.org/2006/time#>
SELECT ?g ?s ?p ?o WHERE {
  GRAPH ?g { ?s ?p ?o }
  FILTER(?g NOT IN (<https://w3id.org/healthkg/graph/ontology>, <https://w3id.org/healthkg/graph/reference>,
                    <https://w3id.org/healthkg/graph/inferred>))
  # the source records themselves: a document, its line spans, a curated web page
  FILTER NOT EXISTS { GRAPH ?g { ?s a ?sourceClass } VALUES ?sourceClass { hkg:PolicyDocument hkg:SourceLocation hkg:CuratedSource } }
  # a node derived from a source as a whole
  FILTER NOT EXISTS { GRAPH ?g { ?s prov:wasDerivedFrom ?source } }
  # a single statement derived from a source (reified, as curated facts and mappings are)
  FILTER NOT EXISTS { GRAPH ?g { ?statement rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; prov:wasDerivedFrom ?source } }
  # the beginning and end instants of a traced fiscal year
  FILTER NOT EXISTS { GRAPH ?g { ?interval time:hasBeginning|time:hasEnd ?s ; prov:wasDerivedFrom ?era } }
}
LIMIT 20
"""


def test_every_non_ontology_statement_is_traceable(seed_store: Path) -> None:
    results = LocalBackend(open_store(seed_store)).select(UNTRACED)
    untraced = [{k: v["value"] for k, v in row.items()} for row in results["results"]["bindings"]]
    assert untraced == []
