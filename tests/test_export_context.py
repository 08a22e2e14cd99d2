"""The JSON-LD context: committed, generated from the graph, readable keys, one prefix authority."""

from __future__ import annotations

import csv
import doctest
import json
import subprocess
import sys
from importlib import resources
from io import BytesIO
from pathlib import Path

from pyoxigraph import Literal, NamedNode, RdfFormat, parse
from rdflib import Graph

import healthkg.engine.prefixes
from healthkg.engine.backends import LocalBackend
from healthkg.engine.jsonld import context_document, dumps, packaged_context
from healthkg.engine.prefixes import OWN_PREFIXES, compact, expand, registry_converter
from healthkg.engine.store import open_store
from healthkg.queries.catalogue import catalogue

ID = "https://w3id.org/healthkg/id/"


def test_committed_context_is_the_generated_one(seed_store: Path) -> None:
    committed = resources.files("healthkg.ontology").joinpath("context.jsonld").read_text(encoding="utf-8")
    generated = dumps(context_document(open_store(seed_store)))
    assert committed == generated, (
        "ontology/context.jsonld is stale: run `healthkg build` and "
        "`healthkg export --format context --out ontology/context.jsonld`"
    )


def test_context_types_amounts_and_years_and_links() -> None:
    context = packaged_context()["@context"]
    assert context["amountYen"] == {"@id": "hkg:amountYen", "@type": "xsd:decimal"}
    assert context["fiscalYearNumber"] == {"@id": "hkg:fiscalYearNumber", "@type": "xsd:integer"}
    assert context["inProject"] == {"@id": "hkg:inProject", "@type": "@id"}
    assert context["label"] == {"@id": "rdfs:label", "@container": "@language"}
    # Every prefix is the table's own expansion (ours or the registry's), so CURIEs round-trip.
    for prefix, uri_prefix in _context_prefixes().items():
        assert expand(f"{prefix}:") == uri_prefix


def test_compacting_a_program_description_gives_compact_keys(seed_store: Path) -> None:
    program = next(
        b["p"]["value"]
        for b in LocalBackend(open_store(seed_store)).select(
            "PREFIX hkg: <https://w3id.org/healthkg/ontology#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
            "SELECT ?p WHERE { ?p a hkg:Program ; rdfs:label \"認知症研究開発事業\"@ja }"  # document line 219
        )["results"]["bindings"]
    )
    text = LocalBackend(open_store(seed_store)).construct(catalogue()["describe"].render({"iri": program}))
    graph = Graph().parse(data=text, format="nt")
    compacted = json.loads(graph.serialize(format="json-ld", context=packaged_context()["@context"], auto_compact=True))
    nodes = compacted.get("@graph", [compacted])
    entry = next(n for n in nodes if n["@id"] == program)
    assert "Program" in _as_list(entry["@type"])
    # the document's name (L219) and the official English name a curated fact states (AMED 01/04/003)
    assert entry["label"] == {"ja": "認知症研究開発事業", "en": "Research and Development Grants for Dementia"}
    assert "id:project-genome-data" in _as_list(entry["partOfProject"])
    assert all(":" not in key or key.startswith("@") for key in entry)  # no full or prefixed IRIs as keys
    lines = [n for n in nodes if n.get("forScheme") == program]
    assert lines and all("BudgetAllocation" in _as_list(n["@type"]) for n in lines)  # incoming links, compacted too
    back = {str(q.triple) for q in parse(BytesIO(json.dumps(compacted).encode()), format=RdfFormat.JSON_LD)}
    assert back == {str(t) for t in parse(BytesIO(text), format=RdfFormat.N_TRIPLES)}


def _as_list(value: object) -> list[object]:
    return value if isinstance(value, list) else [value]


def test_curies_expand_and_contract_consistently(seed_store: Path) -> None:
    iris = {q.subject.value for q in open_store(seed_store).quads_for_pattern(None, None, None, None)
            if hasattr(q.subject, "value") and q.subject.value.startswith("http")}
    for iri in iris:
        curie = compact(iri)
        if curie is not None:
            assert expand(curie) == iri
    assert compact(ID + "org-amed") == "id:org-amed"
    result = doctest.testmod(healthkg.engine.prefixes, raise_on_error=False)
    assert result.attempted > 0 and result.failed == 0


def _context_prefixes() -> dict[str, str]:
    context = packaged_context()["@context"]
    return {prefix: value for prefix, value in context.items() if isinstance(value, str) and value.startswith("http")}


def _seed_iris(seed_store: Path) -> set[str]:
    """Every IRI of the seed: subjects, predicates, objects, graph names and datatypes."""
    iris: set[str] = set()
    for quad in open_store(seed_store).quads_for_pattern(None, None, None, None):
        for term in (quad.subject, quad.predicate, quad.object, quad.graph_name):
            if isinstance(term, NamedNode):
                iris.add(term.value)
            elif isinstance(term, Literal):
                iris.add(term.datatype.value)
    return iris


def test_prefix_table_parses_with_our_prefixes_first_and_no_duplicates() -> None:
    text = resources.files("healthkg.ontology").joinpath("prefixes.tsv").read_text(encoding="utf-8")
    assert text.startswith("# Generated from bioregistry ")
    rows = list(csv.reader((line for line in text.splitlines() if not line.startswith("#")), delimiter="\t",
                           quoting=csv.QUOTE_NONE))
    assert rows[0] == ["prefix", "uri_prefix"]
    assert all(len(row) == 2 and all(row) for row in rows[1:])
    assert [tuple(row) for row in rows[1:4]] == list(OWN_PREFIXES.items())
    assert len(rows) > 1000  # the whole registry, not only what the seed uses
    prefixes, uri_prefixes = zip(*rows[1:])
    assert len(set(prefixes)) == len(prefixes) and len(set(uri_prefixes)) == len(uri_prefixes)


def test_prefix_table_agrees_with_the_installed_registry_on_what_the_graph_uses(seed_store: Path) -> None:
    """What the seed and the context use must match bioregistry; prefixes added to it since need no regeneration."""
    registry = registry_converter()
    canonical = dict(registry.bimap)
    stale = "ontology/prefixes.tsv is stale: run `healthkg export --format prefixes --out ontology/prefixes.tsv`"
    for prefix, uri_prefix in _context_prefixes().items():
        assert canonical[prefix] == uri_prefix, f"{prefix}: {stale}"
    iris = _seed_iris(seed_store)
    assert len(iris) > 1000
    for iri in iris:
        # The registry's longest match, refused when it is a synonym whose CURIE expands to another IRI.
        curie = registry.compress(iri)
        expected = curie if curie is not None and registry.expand(curie) == iri else None
        assert compact(iri) == expected, f"{iri}: {stale}"


def test_server_does_not_import_the_registry() -> None:
    """bioregistry costs the server ~72 MiB and 0.6 s at start; the packaged table replaces it."""
    code = "import json, sys, healthkg.server.app; print(json.dumps(sorted(sys.modules)))"
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout)
    assert "healthkg.engine.prefixes" in loaded
    assert {name.split(".")[0] for name in loaded}.isdisjoint({"bioregistry", "curies"})
