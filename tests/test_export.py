"""Exports: the graph as GraphML, GEXF, Cytoscape JSON, DOT and JSON-LD that real readers load back.

Expected sizes are counted with SPARQL over the same store, not written down,
so the tests follow the graph as loaders and vocabularies grow. The whole graph
is checked in both of its shapes: the default domain preset (domain nodes only,
budgets as attributes, every node labelled) and ``--include all`` (every triple).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
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
from healthkg.engine.dot_picture import write_dot
from healthkg.engine.store import open_store, read_info
from healthkg.queries.catalogue import catalogue

ID = "https://w3id.org/healthkg/id/"
AMED = ID + "org-amed"
GENOME_PROJECT = ID + "project-genome-data"
PLATFORM_PROGRAM = ID + "program/d647351fe613"  # ゲノム医療実現推進プラットフォーム事業, the program of L216
CC_BY = "https://creativecommons.org/licenses/by/4.0/"


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
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX hkg: <https://w3id.org/healthkg/ontology#>
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


# The domain: what the strategy is about (a bureau or department is an attribute, not a node).
DOMAIN_CLASSES = "hkg:Program hkg:ProgramGroup hkg:IntegratedProject hkg:Plan hkg:Organization hkg:DiseaseArea " \
                 "hkg:DevelopmentPurpose hkg:ResearchInfrastructure"
DOMAIN_NODES = PREFIXES + f"""
SELECT (COUNT(DISTINCT ?n) AS ?n) WHERE {{
  VALUES ?class {{ {DOMAIN_CLASSES} }}
  ?n a/rdfs:subClassOf* ?class .
  FILTER NOT EXISTS {{ ?n a hkg:OrganizationalUnit }}
}}"""
PROVENANCE_NODES = PREFIXES + """
SELECT (COUNT(DISTINCT ?n) AS ?n) WHERE {
  VALUES ?class { hkg:SourceLocation hkg:PolicyDocument hkg:CuratedFact hkg:CuratedSource hkg:ConceptMention }
  ?n a ?class .
}"""


@pytest.fixture(scope="module")
def whole(seed_store: Path) -> dict[str, int]:
    return {"nodes": count(seed_store, NODES), "edges": count(seed_store, EDGES)}


@pytest.fixture(scope="module")
def domain(seed_store: Path, tmp_path_factory: pytest.TempPathFactory) -> nx.MultiDiGraph:
    """The default export of the whole graph, read back from GraphML."""
    out = tmp_path_factory.mktemp("domain") / "graph.graphml"
    run("export", "--format", "graphml", "--store", str(seed_store), "--out", str(out))
    return nx.read_graphml(out)


@pytest.mark.parametrize("fmt, reader", [("graphml", nx.read_graphml), ("gexf", nx.read_gexf)])
def test_networkx_reads_back_the_whole_graph(line_216: str, seed_store: Path, whole: dict[str, int], tmp_path: Path,
                                              fmt: str, reader) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / f"graph.{fmt}"
    run("export", "--format", fmt, "--include", "all", "--store", str(seed_store), "--out", str(out))
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
    assert {data["label_en"] for data in edges.values()} == {"inProject"}  # the predicate's rdfs:label@en
    assert {data["label"] for data in edges.values()} == {"計上先統合プロジェクト"}  # labels are Japanese by default


def test_domain_preset_holds_the_domain_only_every_node_labelled(seed_store: Path, domain: nx.MultiDiGraph) -> None:
    assert domain.number_of_nodes() == count(seed_store, DOMAIN_NODES) > 50
    assert {d["category"] for _, d in domain.nodes(data=True)} == {"domain"}
    assert not [n for n in domain if "/fact/" in n or "#L" in n or n.startswith("_:")]  # no provenance, no bnodes
    unlabelled = [n for n, d in domain.nodes(data=True) if not d["label"] or d["label"] in (d["curie"], n)]
    assert unlabelled == []
    assert domain.nodes[GENOME_PROJECT]["label"] == "ゲノム・データ基盤プロジェクト"
    assert domain.nodes[GENOME_PROJECT]["kind"] == "project"
    assert domain.nodes[AMED]["kind"] == "agency"
    # a link and its inverse (hkg:hasProgram / hkg:partOfProject) are one edge
    assert not (domain.has_edge(GENOME_PROJECT, PLATFORM_PROGRAM) and domain.has_edge(PLATFORM_PROGRAM, GENOME_PROJECT))


def test_domain_preset_folds_budgets_into_attributes(seed_store: Path, domain: nx.MultiDiGraph) -> None:
    # L216's 19億円 is the program's FY2020 line in the genome project: an attribute of their link.
    # The same program's 再掲 (duplicate) line in that project (L234) is left out, not added.
    links = {**(domain.get_edge_data(GENOME_PROJECT, PLATFORM_PROGRAM) or {}),
             **(domain.get_edge_data(PLATFORM_PROGRAM, GENOME_PROJECT) or {})}
    assert links and {data["allocation_yen_FY2020"] for data in links.values()} == {1_900_000_000}
    # A program's own budgets (curated, whole program): one attribute per fiscal year, the finest figure
    # where a 億円-rounded and a 千円-exact source both state one.
    rows = LocalBackend(open_store(seed_store)).select(PREFIXES + """
        SELECT ?program ?year ?amount WHERE {
          ?b hkg:budgetOfProgram ?program ; hkg:fiscalYearNumber ?year ; hkg:amountYen ?amount ; hkg:precisionYen ?p ;
             hkg:budgetStatus/hkg:code "initial" .
          FILTER NOT EXISTS { ?other hkg:budgetOfProgram ?program ; hkg:fiscalYearNumber ?year ;
                                     hkg:budgetStatus/hkg:code "initial" ; hkg:precisionYen ?finer FILTER(?finer < ?p) }
        }""")["results"]["bindings"]
    assert len(rows) > 20
    for row in rows:
        program = domain.nodes[row["program"]["value"]]
        assert program[f"budget_yen_FY{row['year']['value']}"] == float(row["amount"]["value"])
    some = rows[0]["program"]["value"]
    years = sorted(int(r["year"]["value"]) for r in rows if r["program"]["value"] == some)
    assert domain.nodes[some]["budget_latest_fy"] == years[-1]
    assert {int(y) for y in domain.nodes[some]["fiscal_years"].split()} >= set(years)
    assert not [n for n, d in domain.nodes(data=True) if d.get("type", "").startswith("hkg:BudgetFigure")]


def test_provenance_comes_on_request_labelled_by_what_it_is(seed_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "provenance.graphml"
    run("export", "--format", "graphml", "--include", "provenance", "--store", str(seed_store), "--out", str(out))
    graph = nx.read_graphml(out)
    provenance = {n: d for n, d in graph.nodes(data=True) if d["category"] == "provenance"}
    assert len(provenance) == count(seed_store, PROVENANCE_NODES) > 100
    assert graph.number_of_nodes() == len(provenance) + count(seed_store, DOMAIN_NODES)
    line = next(d for n, d in provenance.items() if n.endswith("#L216"))
    assert line["label"] == "2020-08-04_cas_genome-data-platform-project.md:216"
    facts = [d for n, d in provenance.items() if "/fact/" in n]
    assert facts and all(" → " in d["label"] and d["label"] != d["curie"] for d in facts)
    assert graph.graph["selection"] == "domain+provenance"


def test_labels_in_english_on_request(seed_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "en.gexf"
    run("export", "--format", "gexf", "--lang", "en", "--store", str(seed_store), "--out", str(out))
    graph = nx.read_gexf(out)
    assert graph.nodes[AMED]["label"] == "Japan Agency for Medical Research and Development"
    # no English label: the Japanese one, never the CURIE
    program = graph.nodes[PLATFORM_PROGRAM]
    assert program["label"] == program["label_ja"] == "ゲノム医療実現推進プラットフォーム事業"


def test_exports_carry_the_data_licence(seed_store: Path, tmp_path: Path) -> None:
    version = read_info(seed_store).version
    graphml = tmp_path / "g.graphml"
    run("export", "--format", "graphml", "--store", str(seed_store), "--out", str(graphml))
    attributes = nx.read_graphml(graphml).graph
    assert attributes["license"] == CC_BY and attributes["source_version"] == version
    assert "政府標準利用規約" in attributes["rights"]
    gexf = ET.fromstring(run("export", "--format", "gexf", "--store", str(seed_store)))
    description = gexf.find("{http://www.gexf.net/1.2draft}meta/{http://www.gexf.net/1.2draft}description")
    assert description is not None and CC_BY in (description.text or "")
    cytoscape = json.loads(run("export", "--format", "cytoscape", "--store", str(seed_store)))
    assert cytoscape["data"]["license"] == CC_BY
    dot = run("export", "--format", "dot", "--store", str(seed_store)).decode("utf-8")
    assert CC_BY in dot.split("\n", 2)[1]  # the graph's attributes: comment and caption
    jsonld = run("export", "--format", "jsonld", "--store", str(seed_store))
    licences = {(q.subject.value, q.object.value) for q in parse(BytesIO(jsonld), format=RdfFormat.JSON_LD)
                if q.predicate.value == "http://purl.org/dc/terms/license"}
    assert licences == {("https://w3id.org/healthkg/", CC_BY)}


def test_jsonld_of_the_whole_graph_holds_the_domain_and_its_figures(line_216: str, seed_store: Path) -> None:
    data = run("export", "--format", "jsonld", "--store", str(seed_store))
    triples = [q.triple for q in parse(BytesIO(data), format=RdfFormat.JSON_LD)]
    subjects = {t.subject.value for t in triples}
    assert line_216 in subjects and PLATFORM_PROGRAM in subjects and GENOME_PROJECT in subjects
    assert not [s for s in subjects if "#L" in s or "/fact/" in s]  # provenance only on request
    assert not [t for t in triples if t.predicate.value == "http://www.w3.org/ns/prov#wasDerivedFrom"
                and "#L" in t.object.value]


@pytest.mark.filterwarnings("ignore::DeprecationWarning:pydot.*")  # pydot's pre-3.0 pyparsing names
def test_dot_picture_renders_readably(seed_store: Path, domain: nx.MultiDiGraph, tmp_path: Path) -> None:
    if shutil.which("dot") is None:
        pytest.fail("Graphviz is not installed: run `make graphviz` (Debian graphviz)")
    source = tmp_path / "healthkg.dot"
    run("export", "--format", "dot", "--store", str(seed_store), "--out", str(source))
    picture = pydot_graph(source.read_text(encoding="utf-8"))
    drawn = {n.get_name().strip('"') for n in all_nodes(picture)} - {"node", "edge", "graph"}
    legend = {n for n in drawn if n.startswith("legend:")}
    assert drawn - legend == set(domain.nodes)
    assert {n.removeprefix("legend:") for n in legend} == {d["kind"] for _, d in domain.nodes(data=True)}
    projects = [n for n, d in domain.nodes(data=True) if d["kind"] == "project"]
    boxes = [g for g in picture.get_subgraphs() if g.get_name().strip('"').startswith("cluster_")]
    assert len(boxes) == len(projects) + 1  # one box per integrated project, and the legend's
    started = time.monotonic()
    svg = subprocess.run(["dot", "-Tsvg", str(source)], check=True, capture_output=True, timeout=60).stdout
    seconds = time.monotonic() - started
    root = ET.fromstring(svg)
    width, height = (float(root.get(side, "0").removesuffix("pt")) for side in ("width", "height"))
    # Bounds the whole-graph hairball this replaced (issue 12) exceeded many times over, on each side and in time.
    assert width * height < 6000 * 6000 and max(width, height) < 8000, (width, height)
    assert seconds < 30
    texts = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "ゲノム・データ基盤プロジェクト" in texts and "id:" not in texts


@pytest.mark.filterwarnings("ignore::DeprecationWarning:pydot.*")  # pydot's pre-3.0 pyparsing names
def test_dot_of_a_bare_graph_is_valid_dot() -> None:
    """No metadata, no kinds, a quote and a backslash in a label: still a graph pydot reads back."""
    graph = nx.MultiDiGraph()
    graph.add_node("urn:x:a", label='say "hi" \\ ゲノム')
    graph.add_edge("urn:x:a", "urn:x:b", key="p", label="p")
    parsed = pydot_graph(write_dot(graph).decode("utf-8"))
    nodes = {n.get_name().strip('"'): n for n in all_nodes(parsed)}
    assert {"urn:x:a", "urn:x:b"} <= set(nodes)
    assert len(parsed.get_edges()) == 1


def pydot_graph(text: str) -> pydot.Dot:
    return pydot.graph_from_dot_data(text)[0]


def all_nodes(graph: pydot.Dot) -> list[pydot.Node]:
    found = list(graph.get_nodes())
    for sub in graph.get_subgraphs():
        found.extend(all_nodes(sub))
    return found


def test_cytoscape_json_is_in_cytoscape_js_element_format(seed_store: Path, whole: dict[str, int]) -> None:
    data = json.loads(run("export", "--format", "cytoscape", "--include", "all", "--store", str(seed_store)))
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
    # Read back by another parser (oxigraph's), which must see exactly the triples that were exported,
    # and the licence of the dataset they come from (issue 12: the licence travels with every export).
    back = {str(q.triple) for q in parse(BytesIO(data), format=RdfFormat.JSON_LD)}
    about = {t for t in back if t.startswith("<https://w3id.org/healthkg/> ")}
    assert back - about == {str(t) for t in parse(BytesIO(text), format=RdfFormat.N_TRIPLES)}
    assert f"<https://w3id.org/healthkg/> <http://purl.org/dc/terms/license> <{CC_BY}>" in about and len(about) == 2


def test_include_goes_with_the_whole_graph_only(seed_store: Path) -> None:
    result = CliRunner().invoke(cli, ["export", "--format", "dot", "--query", "describe", "--param",
                                      f"iri={GENOME_PROJECT}", "--include", "provenance", "--store", str(seed_store)])
    assert result.exit_code != 0 and "--include" in result.output


def test_export_rejects_a_select_query(seed_store: Path) -> None:
    result = CliRunner().invoke(cli, ["export", "--format", "dot", "--query", "budget-lines", "--store", str(seed_store)])
    assert result.exit_code != 0
    assert "budget-lines" in result.output and "CONSTRUCT" in result.output
