"""What the endpoint says about itself: SPARQL 1.1 Service Description and the VoID/DCAT dataset description.

Section numbers refer to https://www.w3.org/TR/sparql11-service-description/.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
import rdflib
from rdflib import RDF, Literal, Namespace, URIRef

from healthkg.engine.formats import GRAPH_FORMATS, RESULT_FORMATS
from healthkg.engine.store import open_store, read_info

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = Namespace("http://rdfs.org/ns/void#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
HKG_CLASS_QUERY = "SELECT ?class (COUNT(DISTINCT ?e) AS ?n) WHERE {{ GRAPH ?g {{ ?e a ?class }} }} GROUP BY ?class"


def fetch(url: str, accept: str | None = None) -> tuple[int, str, bytes]:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


@pytest.fixture(scope="module")
def service(live_server) -> rdflib.Graph:
    status, content_type, body = fetch(live_server.sparql)
    assert status == 200 and content_type.startswith("text/turtle")
    return rdflib.Graph().parse(data=body, format="turtle")


def test_service_description_on_get_without_query(service: rdflib.Graph, live_server) -> None:
    """§3.2: an sd:Service whose sd:endpoint is the URL the request reached."""
    (node,) = service.subjects(RDF.type, SD.Service)
    assert service.value(node, SD.endpoint) == URIRef(live_server.sparql)
    assert SD.SPARQL11Query in set(service.objects(node, SD.supportedLanguage))
    assert SD.SPARQL11Update not in set(service.objects(node, SD.supportedLanguage))
    assert SD.UnionDefaultGraph in set(service.objects(node, SD.feature))


def test_service_description_lists_every_served_format(service: rdflib.Graph) -> None:
    """§3.2.8 sd:resultFormat: exactly the formats content negotiation can choose."""
    (node,) = service.subjects(RDF.type, SD.Service)
    advertised = {str(f) for f in service.objects(node, SD.resultFormat)}
    assert advertised == {f.iri for f in RESULT_FORMATS + GRAPH_FORMATS}


def test_default_dataset_lists_named_graphs_with_sizes(service: rdflib.Graph, seed_store: Path) -> None:
    """§3.4 sd:Dataset: the default graph (the union) and each non-empty named graph with void:triples."""
    info = read_info(seed_store)
    (node,) = service.subjects(RDF.type, SD.Service)
    dataset = service.value(node, SD.defaultDataset)
    default_graph = service.value(dataset, SD.defaultGraph)
    assert int(service.value(default_graph, VOID.triples)) == info.triples
    listed = {}
    for named in service.objects(dataset, SD.namedGraph):
        listed[str(service.value(named, SD.name))] = int(service.value(service.value(named, SD.graph), VOID.triples))
    assert listed == {graph: size for graph, size in info.graphs.items() if size}


@pytest.mark.parametrize(("accept", "rdflib_format"), [
    ("application/ld+json", "json-ld"), ("application/rdf+xml", "xml"), ("application/n-triples", "nt")])
@pytest.mark.filterwarnings("ignore:.*(ConjunctiveGraph|default_context).*:DeprecationWarning")
def test_service_description_is_negotiated(live_server, service: rdflib.Graph, accept: str, rdflib_format: str) -> None:
    status, content_type, body = fetch(live_server.sparql, accept)
    assert status == 200 and content_type.split(";")[0] == accept
    graph = rdflib.Graph().parse(data=body, format=rdflib_format)
    assert len(graph) == len(service)
    assert set(graph.objects(None, SD.endpoint)) == {URIRef(live_server.sparql)}


def test_service_description_not_in_result_formats_is_406(live_server) -> None:
    assert fetch(live_server.sparql, "application/sparql-results+json")[0] == 406


@pytest.fixture(scope="module")
def void(live_server) -> tuple[rdflib.Graph, URIRef]:
    status, content_type, body = fetch(f"{live_server.url}/.well-known/void")
    assert status == 200 and content_type.startswith("text/turtle")
    graph = rdflib.Graph().parse(data=body, format="turtle")
    return graph, URIRef(f"{live_server.url}/.well-known/void#dataset")


def test_void_describes_the_dataset_with_its_figures(void, seed_store: Path, live_server) -> None:
    """VoID §4: triples, endpoint and dumps; the figures are the build's."""
    graph, dataset = void
    info = read_info(seed_store)
    assert (dataset, RDF.type, VOID.Dataset) in graph and (dataset, RDF.type, DCAT.Dataset) in graph
    assert int(graph.value(dataset, VOID.triples)) == info.triples
    assert graph.value(dataset, VOID.sparqlEndpoint) == URIRef(live_server.sparql)
    assert set(graph.objects(dataset, VOID.dataDump)) == {
        URIRef(f"{live_server.url}/downloads/healthkg.nq"), URIRef(f"{live_server.url}/downloads/healthkg.trig")}
    modified = graph.value(dataset, DCTERMS.modified)
    assert isinstance(modified, Literal) and modified.toPython() == datetime.fromisoformat(info.built_at)
    subsets = {str(s): int(graph.value(s, VOID.triples)) for s in graph.objects(dataset, VOID.subset)}
    assert subsets == {graph_iri: size for graph_iri, size in info.graphs.items() if size}
    assert {str(t) for t in graph.objects(dataset, DCTERMS.title) if t.language == "ja"}


def test_void_class_partitions_count_entities(void, seed_store: Path) -> None:
    graph, dataset = void
    store = open_store(seed_store)
    expected = {row["class"].value: int(row["n"].value) for row in store.query(HKG_CLASS_QUERY.format())}
    partitions = {str(graph.value(p, VOID["class"])): int(graph.value(p, VOID.entities))
                  for p in graph.objects(dataset, VOID.classPartition)}
    assert partitions == expected
    assert int(graph.value(dataset, VOID.classes)) == len(expected)


def test_dcat_distributions_and_data_service(void, live_server) -> None:
    graph, dataset = void
    downloads = {graph.value(d, DCAT.downloadURL) for d in graph.objects(dataset, DCAT.distribution)} - {None}
    assert downloads == {URIRef(f"{live_server.url}/downloads/healthkg.nq"),
                         URIRef(f"{live_server.url}/downloads/healthkg.trig")}
    (service,) = graph.subjects(RDF.type, DCAT.DataService)
    assert graph.value(service, DCAT.endpointURL) == URIRef(live_server.sparql)
    assert graph.value(service, DCAT.servesDataset) == dataset


def test_void_alias_and_json_ld(live_server, void) -> None:
    status, content_type, body = fetch(f"{live_server.url}/void", "application/ld+json")
    assert status == 200 and content_type.startswith("application/ld+json")
    nodes = json.loads(body)
    assert any(node.get("@id") == str(void[1]) for node in nodes)
