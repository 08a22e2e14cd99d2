"""What the service and the dataset say about themselves: SPARQL Service Description and VoID + DCAT.

The service description (https://www.w3.org/TR/sparql11-service-description/)
is what ``GET /sparql`` without a query returns: the endpoint's own URL as the
request reached it, the languages, result formats and features it supports,
and its default dataset: the default graph is the union of all named graphs
(``sd:UnionDefaultGraph``), and each named graph is listed with its size.

The dataset description (https://www.w3.org/TR/void/, https://www.w3.org/TR/vocab-dcat-2/)
at ``/.well-known/void`` adds figures (triples, distinct subjects, properties
and objects, entities per class), the build date, the named graphs as subsets,
the dumps and the endpoint, and the data licence (``dcterms:license`` on the
dataset and on each distribution, with ``dcterms:rights`` naming the sources'
terms; the wording is :mod:`healthkg.engine.licence`'s, shared with the exports
and the pages). Its fixed text is ``dataset.ttl``; figures come
from the served graph (:mod:`.statistics`). Both are RDF in any graph format;
their JSON-LD is not compacted with the ontology's context, whose terms they
do not use.
"""

from __future__ import annotations

from datetime import datetime
from importlib import resources

from flask import Blueprint, Response, current_app, request
from pyoxigraph import BlankNode, Literal, NamedNode, RdfFormat, Triple, parse

from healthkg.engine.formats import GRAPH_FORMATS, RESULT_FORMATS, Format
from healthkg.engine.licence import ATTRIBUTION, DATA_LICENSE, RIGHTS
from healthkg.engine.served_graph import Snapshot
from healthkg.server.negotiation import graph_format
from healthkg.server.responses import rdf_response
from healthkg.server.services import services
from healthkg.server.statistics import Statistics

SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
DCTERMS = "http://purl.org/dc/terms/"
RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
XSD = "http://www.w3.org/2001/XMLSchema#"
SIMPLE_ENTAILMENT = NamedNode("http://www.w3.org/ns/entailment/Simple")
VOID_PATH = ".well-known/void"

blueprint = Blueprint("description", __name__)


def _sd(name: str) -> NamedNode:
    return NamedNode(SD + name)


def _void(name: str) -> NamedNode:
    return NamedNode(VOID + name)


def _integer(value: int) -> Literal:
    return Literal(str(value), datatype=NamedNode(XSD + "integer"))


def service_description(endpoint: str, dataset: str, graph_sizes: dict[str, int], *, update: bool,
                        federation: bool) -> list[Triple]:
    service = BlankNode()
    default_dataset = NamedNode(dataset)
    default_graph = BlankNode()
    triples = [
        Triple(service, RDF_TYPE, _sd("Service")),
        Triple(service, _sd("endpoint"), NamedNode(endpoint)),
        Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Query")),
        Triple(service, _sd("feature"), _sd("UnionDefaultGraph")),
        Triple(service, _sd("defaultEntailmentRegime"), SIMPLE_ENTAILMENT),
        Triple(service, _sd("defaultDataset"), default_dataset),
        Triple(default_dataset, RDF_TYPE, _sd("Dataset")),
        Triple(default_dataset, _sd("defaultGraph"), default_graph),
        Triple(default_graph, RDF_TYPE, _sd("Graph")),
        Triple(default_graph, NamedNode(DCTERMS + "description"),
               Literal("The union of all named graphs, unless a request names its dataset "
                       "(default-graph-uri, named-graph-uri, FROM, FROM NAMED).", language="en")),
        Triple(default_graph, _void("triples"), _integer(sum(graph_sizes.values()))),
    ]
    if update:
        triples.append(Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Update")))
    if federation:
        triples.append(Triple(service, _sd("feature"), _sd("BasicFederatedQuery")))
    triples += [Triple(service, _sd("resultFormat"), NamedNode(f.iri)) for f in RESULT_FORMATS + GRAPH_FORMATS]
    for graph, size in sorted(graph_sizes.items()):
        named, described = BlankNode(), BlankNode()
        triples += [
            Triple(default_dataset, _sd("namedGraph"), named),
            Triple(named, RDF_TYPE, _sd("NamedGraph")),
            Triple(named, _sd("name"), NamedNode(graph)),
            Triple(named, _sd("graph"), described),
            Triple(described, RDF_TYPE, _sd("Graph")),
            Triple(described, _void("triples"), _integer(size)),
        ]
    return triples


def dataset_description(base: str, snapshot: Snapshot, statistics: Statistics) -> list[Triple]:
    """VoID + DCAT triples of the served dataset; ``base`` is the description's own URL."""
    fixed = resources.files("healthkg.server").joinpath("dataset.ttl").read_bytes()
    triples = [quad.triple for quad in parse(fixed, format=RdfFormat.TURTLE, base_iri=base)]
    dataset = NamedNode(base + "#dataset")
    sizes = statistics.graph_sizes(snapshot)
    figures = statistics.rows(snapshot, "dataset-figures")[0]
    classes = statistics.rows(snapshot, "class-partition")
    licence = NamedNode(DATA_LICENSE)
    distributions = [t.object for t in triples
                     if t.subject == dataset and t.predicate == NamedNode("http://www.w3.org/ns/dcat#distribution")]
    triples += [Triple(subject, NamedNode(DCTERMS + "license"), licence) for subject in (dataset, *distributions)]
    triples += [
        Triple(dataset, NamedNode(DCTERMS + "rights"), Literal(RIGHTS, language="en")),
        Triple(dataset, NamedNode(DCTERMS + "bibliographicCitation"), Literal(ATTRIBUTION, language="en")),
        Triple(dataset, _void("triples"), _integer(sum(sizes.values()))),
        Triple(dataset, _void("distinctSubjects"), _integer(int(figures["subjects"]["value"]))),
        Triple(dataset, _void("properties"), _integer(int(figures["properties"]["value"]))),
        Triple(dataset, _void("distinctObjects"), _integer(int(figures["objects"]["value"]))),
        Triple(dataset, _void("classes"), _integer(len(classes))),
    ]
    info = snapshot.info
    if info is not None:
        built = datetime.fromisoformat(info.built_at).isoformat()
        modified = Literal(built, datatype=NamedNode(XSD + "dateTime"))
        triples.append(Triple(dataset, NamedNode(DCTERMS + "modified"), modified))
    titles = {d.get("graph"): d.get("title") for d in (info.documents if info else [])}
    for graph, size in sorted(sizes.items()):
        subset = NamedNode(graph)
        triples += [Triple(dataset, _void("subset"), subset), Triple(subset, RDF_TYPE, _void("Dataset")),
                    Triple(subset, _void("triples"), _integer(size))]
        if titles.get(graph):
            triples.append(Triple(subset, NamedNode(DCTERMS + "title"), Literal(str(titles[graph]))))
    for row in classes:
        partition = BlankNode()
        triples += [Triple(dataset, _void("classPartition"), partition),
                    Triple(partition, _void("class"), NamedNode(row["class"]["value"])),
                    Triple(partition, _void("entities"), _integer(int(row["entities"]["value"])))]
    return triples


def _described(fmt: Format, triples: list[Triple]) -> Response:
    response = rdf_response(triples, fmt, compact_jsonld=False)
    response.vary.add("Accept")
    return response


def service_description_response() -> Response:
    """What ``GET /sparql`` without a query answers."""
    fmt = graph_format(request.headers.get("Accept"))  # 406 before any figure is computed
    config = current_app.config
    the = services()
    sizes = the.statistics.graph_sizes(the.engine.snapshot())
    return _described(fmt, service_description(request.base_url, void_url() + "#dataset", sizes,
                                                update=bool(config["UPDATE_ENABLED"]),
                                                federation=bool(config["SERVICE_ENDPOINTS"])))


def void_url() -> str:
    return request.url_root + VOID_PATH


@blueprint.route("/.well-known/void")
@blueprint.route("/void")
def void() -> Response:
    fmt = graph_format(request.headers.get("Accept"))
    the = services()
    return _described(fmt, dataset_description(void_url(), the.engine.snapshot(), the.statistics))
