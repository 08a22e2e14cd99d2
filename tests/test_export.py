"""Exports: the graph as GraphML, GEXF, Cytoscape JSON, DOT and JSON-LD that real readers load back.

Expected sizes are counted with SPARQL over the same store, not written down,
so the tests follow the graph as loaders and vocabularies grow.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

import networkx as nx
import pydot
import pytest
from click.testing import CliRunner
from pyoxigraph import RdfFormat, parse
from rdflib import Graph

from healthkg.cli.main import cli
from healthkg.engine.backends import LocalBackend
from healthkg.engine.store import open_store
from healthkg.queries.catalogue import catalogue

ID = "https://w3id.org/healthkg/id/"
AMED = ID + "org-amed"
GENOME_PROJECT = ID + "project-genome-data"


@pytest.fixture(scope="module")
def line_216(seed_allocation: Callable[[int], str]) -> str:
    """Document line 216: 「ゲノム医療実現推進プラットフォーム事業 … 予算額19億円」 (FY2020, AMED route)."""
    return seed_allocation(216)


def run(*args: str) -> bytes:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


def count(store: Path, query: str) -> int:
    results = LocalBackend(open_store(store)).select(query)
    return int(results["results"]["bindings"][0]["n"]["value"])


PREFIXES = """
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
"""
# The projection: subjects and linked objects are nodes; rdf:type and literals are attributes.
NODES = PREFIXES + """
SELECT (COUNT(DISTINCT ?n) AS ?n) WHERE {
  GRAPH ?g { { ?n ?p ?o } UNION { ?s ?p ?n FILTER(!isLiteral(?n) && ?p != rdf:type) } }
  FILTER(?g != <https://w3id.org/healthkg/graph/ontology>)
}"""
EDGES = PREFIXES + """
SELECT (COUNT(*) AS ?n) WHERE {
  SELECT DISTINCT ?s ?p ?o WHERE {
    GRAPH ?g { ?s ?p ?o FILTER(!isLiteral(?o) && ?p != rdf:type) }
    FILTER(?g != <https://w3id.org/healthkg/graph/ontology>)
  }
}"""


@pytest.fixture(scope="module")
def whole(seed_store: Path) -> dict[str, int]:
    return {"nodes": count(seed_store, NODES), "edges": count(seed_store, EDGES)}


@pytest.mark.parametrize("fmt, reader", [("graphml", nx.read_graphml), ("gexf", nx.read_gexf)])
def test_networkx_reads_back_the_whole_graph(line_216: str, seed_store: Path, whole: dict[str, int], tmp_path: Path,
                                              fmt: str, reader) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / f"graph.{fmt}"
    run("export", "--format", fmt, "--store", str(seed_store), "--out", str(out))
    graph = reader(out)
    assert graph.is_directed() and graph.is_multigraph()
    assert graph.number_of_nodes() == whole["nodes"] > 100
    assert graph.number_of_edges() == whole["edges"] > 100
    amed = graph.nodes[AMED]
    assert amed["label_ja"] == "日本医療研究開発機構"  # ontology/vocab/organisations.ttl
    assert amed["label_en"] == "Japan Agency for Medical Research and Development"
    assert "hkg:FundingAgency" in amed["type"].split()
    line = graph.nodes[line_216]
    assert float(line["amount_yen"]) == 1_900_000_000  # 19億円
    assert int(line["fiscal_year"]) == 2020  # 令和2年度 (document line 203 heads the section)
    assert line["type"] == "hkg:BudgetAllocation"
    edges = graph.get_edge_data(line_216, GENOME_PROJECT)
    assert {data["label"] for data in edges.values()} == {"inProject"}  # the predicate's rdfs:label@en


def test_cytoscape_json_is_in_cytoscape_js_element_format(seed_store: Path, whole: dict[str, int]) -> None:
    data = json.loads(run("export", "--format", "cytoscape", "--store", str(seed_store)))
    nodes, edges = data["elements"]["nodes"], data["elements"]["edges"]
    assert len(nodes) == whole["nodes"] and len(edges) == whole["edges"]
    ids = [n["data"]["id"] for n in nodes]
    assert len(set(ids)) == len(ids)
    edge_ids = [e["data"]["id"] for e in edges]
    assert len(set(edge_ids)) == len(edge_ids) and not set(edge_ids) & set(ids)
    assert all(e["data"]["source"] in ids and e["data"]["target"] in ids for e in edges)
    amed = next(n["data"] for n in nodes if n["data"]["id"] == AMED)
    assert amed["name"] == amed["label"] == "日本医療研究開発機構"
    back = nx.cytoscape_graph(data)
    assert back.number_of_nodes() == whole["nodes"] and back.number_of_edges() == whole["edges"]


# pydot's grammar still calls pyparsing's pre-3.0 method names; that is pydot's business, not ours.
@pytest.mark.filterwarnings("ignore::DeprecationWarning:pydot.*")
def test_dot_of_a_query_result_parses_with_pydot(seed_store: Path) -> None:
    dot = run("export", "--format", "dot", "--query", "describe", "--param", f"iri={GENOME_PROJECT}",
              "--store", str(seed_store)).decode("utf-8")
    parsed = nx.nx_pydot.from_pydot(pydot.graph_from_dot_data(dot)[0])
    expected = nx.MultiDiGraph()
    text = LocalBackend(open_store(seed_store)).construct(catalogue()["describe"].render({"iri": GENOME_PROJECT}))
    rdf = Graph().parse(data=text, format="nt")
    for s, p, o in rdf:
        if p.endswith("#type") or o.__class__.__name__ == "Literal":
            expected.add_node(str(s))
        else:
            expected.add_edge(str(s), str(o))
    assert set(parsed.nodes) == set(expected.nodes)
    assert parsed.number_of_edges() == expected.number_of_edges()
    project = parsed.nodes[GENOME_PROJECT]
    assert project["label"].strip('"') == "ゲノム・データ基盤プロジェクト"


def test_query_result_nodes_get_labels_from_the_store(line_216: str, seed_store: Path, tmp_path: Path) -> None:
    query = tmp_path / "links.rq"
    query.write_text(
        "#+ summary: lines to projects\n"
        "PREFIX hkg: <https://w3id.org/healthkg/ontology#>\n"
        "CONSTRUCT { ?line hkg:inProject ?project } WHERE { ?line a hkg:BudgetAllocation ; hkg:inProject ?project }\n",
        encoding="utf-8",
    )
    out = tmp_path / "links.graphml"
    run("export", "--format", "graphml", "--query", str(query), "--store", str(seed_store), "--out", str(out))
    graph = nx.read_graphml(out)
    # Neither labels nor amounts are in the CONSTRUCT template: they come from the store.
    assert graph.nodes[GENOME_PROJECT]["label_ja"] == "ゲノム・データ基盤プロジェクト"
    assert float(graph.nodes[line_216]["amount_yen"]) == 1_900_000_000
    assert graph.in_degree(GENOME_PROJECT) == count(
        seed_store,
        "PREFIX hkg: <https://w3id.org/healthkg/ontology#> SELECT (COUNT(DISTINCT ?l) AS ?n) "
        f"WHERE {{ ?l a hkg:BudgetAllocation ; hkg:inProject <{GENOME_PROJECT}> }}",
    )


def test_jsonld_round_trips_and_uses_compact_keys(line_216: str, seed_store: Path) -> None:
    data = run("export", "--format", "jsonld", "--query", "describe", "--param", f"iri={line_216}",
               "--store", str(seed_store))
    document = json.loads(data)
    node = next(n for n in document.get("@graph", [document]) if n.get("@type") == "BudgetAllocation")
    assert node["@type"] == "BudgetAllocation"
    assert node["amountYen"] == "1900000000"  # typed by the context (xsd:decimal), not a float
    assert node["fiscalYearNumber"] == "2020"
    assert node["inProject"] == "id:project-genome-data"
    assert node["label"] == {"ja": "ゲノム医療実現推進プラットフォーム事業"}
    text = LocalBackend(open_store(seed_store)).construct(catalogue()["describe"].render({"iri": line_216}))
    # Read back by another parser (oxigraph's), which must see exactly the triples that were exported.
    back = {str(q.triple) for q in parse(BytesIO(data), format=RdfFormat.JSON_LD)}
    assert back == {str(t) for t in parse(BytesIO(text), format=RdfFormat.N_TRIPLES)}


def test_export_rejects_a_select_query(seed_store: Path) -> None:
    result = CliRunner().invoke(cli, ["export", "--format", "dot", "--query", "budget-lines", "--store", str(seed_store)])
    assert result.exit_code != 0
    assert "budget-lines" in result.output and "CONSTRUCT" in result.output
