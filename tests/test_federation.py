"""Federation: a second, real SPARQL endpoint (the Oxigraph server) holds a MONDO extract, and a
named query joins our disease areas to it with SERVICE, run by our own store's query engine."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDFS

from healthkg.engine.backends import LocalBackend
from healthkg.engine.store import open_store
from healthkg.queries.catalogue import ParameterError, catalogue
from healthkg.queries.entities import EntityResolver

MONDO = "http://purl.obolibrary.org/obo/MONDO_"

pytestmark = pytest.mark.slow


def rows(store: Path, name: str, **params: str) -> list[dict[str, str]]:
    backend = LocalBackend(open_store(store))
    results = backend.select(catalogue()[name].render(params, EntityResolver(backend)))
    return [{k: v["value"] for k, v in b.items()} for b in results["results"]["bindings"]]


def test_disease_areas_join_mondo_labels_from_the_second_endpoint(
        seed_store: Path, mondo_endpoint: str, extract: Path) -> None:
    found = rows(seed_store, "disease-area-mondo", endpoint=mondo_endpoint)
    pairs = {(r["area"], r["term"], r["term_label"]) for r in found}
    # Mappings of /work/shared/reference/external_ids.tsv (verified rows), labels from the extract.
    assert ("cancer", MONDO + "0004992", "cancer") in pairs
    assert ("dementia", MONDO + "0001627", "dementia") in pairs
    assert ("infectious", MONDO + "0005550", "infectious disease") in pairs
    # Every label came over the wire from the other endpoint, and says what the extract says.
    labels = Graph().parse(extract, format="turtle")
    for row in found:
        assert row["term_label"] == str(labels.value(URIRef(row["term"]), RDFS.label))
    # Every mapped MONDO term that the extract knows is joined, none more.
    mapped = LocalBackend(open_store(seed_store)).select(
        "PREFIX hkg: <https://w3id.org/healthkg/ontology#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
        "SELECT DISTINCT ?area ?term WHERE { ?a a hkg:DiseaseArea ; hkg:code ?area ; "
        "skos:exactMatch|skos:closeMatch|skos:broadMatch|skos:narrowMatch|skos:relatedMatch ?term }"
    )
    expected = {(b["area"]["value"], b["term"]["value"]) for b in mapped["results"]["bindings"]
                if (URIRef(b["term"]["value"]), RDFS.label, None) in labels}
    assert {(r["area"], r["term"]) for r in found} == expected


def test_area_parameter_narrows_the_federated_join(seed_store: Path, mondo_endpoint: str) -> None:
    found = rows(seed_store, "disease-area-mondo", endpoint=mondo_endpoint, area="cancer")
    assert found and {r["area"] for r in found} == {"cancer"}
    assert {r["area_label"] for r in found} == {"がん"}


def test_endpoint_parameter_is_an_iri_written_in_place_not_spliced() -> None:
    query = catalogue()["disease-area-mondo"]
    text = query.render({"endpoint": "http://127.0.0.1:9/query"})
    assert "SERVICE <http://127.0.0.1:9/query>" in text
    assert text.count("\n") == query.text.count("\n")  # error positions keep their lines
    with pytest.raises(ParameterError):
        query.render({"endpoint": "http://x/> } } DELETE WHERE { ?s ?p ?o } #"})
    with pytest.raises(ParameterError):
        query.render({})  # the endpoint is required
