"""The JSON-LD context: committed, generated from the graph, readable keys, one prefix authority."""

from __future__ import annotations

import doctest
import json
from importlib import resources
from io import BytesIO
from pathlib import Path

from pyoxigraph import RdfFormat, parse
from rdflib import Graph

import healthkg.queries.prefixes
from healthkg.queries.backends import LocalBackend
from healthkg.queries.catalogue import catalogue
from healthkg.queries.jsonld import context_document, dumps, packaged_context
from healthkg.queries.prefixes import compact, converter, expand
from healthkg.queries.store import open_store

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
    # Every prefix is the registry's own expansion (or ours), so CURIEs round-trip.
    for prefix, uri_prefix in context.items():
        if isinstance(uri_prefix, str) and uri_prefix.startswith("http"):
            assert converter().bimap[prefix] == uri_prefix


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
    assert entry["label"] == {"ja": "認知症研究開発事業"}
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
    result = doctest.testmod(healthkg.queries.prefixes, raise_on_error=False)
    assert result.attempted > 0 and result.failed == 0
