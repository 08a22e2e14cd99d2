"""SHACL shapes and ODK-style QC queries: silent on the seed, loud and readable on broken graphs."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from pyoxigraph import RdfFormat, Store
from rdflib import RDF, RDFS, SKOS, XSD, Graph, Literal, URIRef

from healthkg.checks.qc import qc_queries, run_qc
from healthkg.checks.validation import SH, shacl_violations, shapes_graph, store_graph
from healthkg.cli.main import cli
from healthkg.cli.pipeline import BuildReport
from healthkg.engine.store import BuildInfo, open_store, write_store
from healthkg.loaders.triples import program_iri
from healthkg.ontology import GRAPH, HKG, ID, ontology_graph

PROV_DERIVED = URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")


@pytest.fixture(scope="module")
def seed_graph(seed_build: tuple[Path, BuildReport]) -> Graph:
    return store_graph(seed_build[1].store)


def allocation(graph: Graph, program: str, year: int) -> URIRef:
    return next(a for a in graph.subjects(HKG.forScheme, program_iri(program))
                if graph.value(a, HKG.fiscalYearNumber) == Literal(year))


def test_seed_conforms_and_passes_every_qc_query(seed_build: tuple[Path, BuildReport]) -> None:
    assert seed_build[1].violations == []
    assert len(qc_queries()) >= 8


BREAKS = {
    "negative amount": lambda g, line, program: g.set(
        (line, HKG.amountYen, Literal("-3200000000", datatype=XSD.decimal))
    ),
    "no project": lambda g, line, program: g.remove((line, HKG.inProject, None)),
    "two Japanese labels": lambda g, line, program: g.add((program, RDFS.label, Literal("別名の事業", lang="ja"))),
    "no provenance": lambda g, line, program: g.remove((line, PROV_DERIVED, None)),
    "string amount": lambda g, line, program: g.set((line, HKG.amountYen, Literal("32億円"))),
    "no stage": lambda g, line, program: g.remove((line, HKG.budgetStatus, None)),
    "two stages": lambda g, line, program: g.add((line, HKG.budgetStatus, ID["status-request"])),
}


def broken_copy(seed: Graph, case: str) -> Graph:
    """The seed with one deliberate break on the 革新的がん… budget line of 令和2年度 (or its program)."""
    graph = Graph()
    graph += seed
    BREAKS[case](
        graph, allocation(graph, "革新的がん医療実用化研究事業", 2020), program_iri("革新的がん医療実用化研究事業")
    )
    return graph


@pytest.mark.parametrize(
    "case, shape",
    [
        ("negative amount", "BudgetFigure"),
        ("no project", "DocumentFigure"),
        ("two Japanese labels", "JapaneseLabelled"),
        ("no provenance", "BudgetFigure"),
        ("string amount", "BudgetFigure"),
        ("no stage", "DocumentFigure"),
        ("two stages", "BudgetFigure"),
    ],
)
def test_shacl_reports_broken_graph_readably(seed_graph: Graph, case: str, shape: str) -> None:
    violations = shacl_violations(broken_copy(seed_graph, case))
    assert violations, case
    text = "\n".join(map(str, violations))
    assert f"shacl:{shape}" in text
    assert "革新的がん医療実用化研究事業" in text  # the focus node is named by its label, not only its IRI


QC_BREAKS = {
    "budget-figure-incomplete-violation": lambda g, line, program: g.remove((line, HKG.fundingRoute, None)),
    "budget-line-unknown-scheme-violation": lambda g, line, program: g.set(
        (line, HKG.forScheme, ID["program/unknown"])
    ),
    "missing-japanese-label-violation": lambda g, line, program: g.remove((program, RDFS.label, None)),
    "program-ministry-not-linked-violation": lambda g, line, program: g.remove((program, HKG.administeredBy, None)),
    "disease-area-without-mapping-violation": lambda g, line, program: [
        g.remove((ID["disease-intractable"], p, None)) for p in (SKOS.relatedMatch, SKOS.narrowMatch, SKOS.closeMatch)
    ],
    "budget-figure-unknown-program-violation": lambda g, line, program: (
        g.add((ID["program-budget/x"], RDF.type, HKG.ProgramBudget))
        and g.add((ID["program-budget/x"], HKG.budgetOfProgram, ID["program/unknown"]))
    ),
    "duplicate-label-violation": lambda g, line, program: g.add(
        (ID["org-mext"], RDFS.label, Literal("厚生労働省", lang="ja"))
    ),
    "mapping-subject-unknown-violation": lambda g, line, program: g.remove((ID["org-jsps"], RDF.type, None)),
    # a FY2026 share counted in a 2nd-period project (FY2020–2024)
    "listing-outside-period-violation": lambda g, line, program: [
        g.set((first(g, HKG.ProgramShare), p, o))
        for p, o in ((HKG.inProject, ID["project-pharmaceuticals"]), (HKG.fiscalYearNumber, Literal(2026)))
    ],
    # an English name no curated fact states, made up for a program
    "english-name-unsourced-violation": lambda g, line, program: g.add(
        (program, RDFS.label, Literal("Innovative Cancer Research", lang="en"))
    ),
}


def test_every_qc_query_has_a_breaking_fixture() -> None:
    assert set(QC_BREAKS) == set(qc_queries())


@pytest.mark.parametrize("name", sorted(QC_BREAKS))
def test_qc_query_fires_on_broken_fixture(seed_graph: Graph, name: str) -> None:
    graph = Graph()
    graph += seed_graph
    line = allocation(graph, "革新的がん医療実用化研究事業", 2020)
    QC_BREAKS[name](graph, line, program_iri("革新的がん医療実用化研究事業"))
    store = Store()
    store.load(graph.serialize(format="nt", encoding="utf-8"), format=RdfFormat.N_TRIPLES)
    fired = [v for v in run_qc(store) if v.check == name]
    assert fired, name


def test_validate_command_prints_shacl_report(seed_graph: Graph, tmp_path: Path) -> None:
    broken = broken_copy(seed_graph, "negative amount")
    nquads = broken.serialize(format="nt", encoding="utf-8")
    write_store(
        tmp_path / "store",
        nquads,
        BuildInfo(built_at="2026-11-25T00:00:00+00:00", version="broken", documents=[], graphs={}, warnings=[]),
    )
    result = CliRunner().invoke(cli, ["validate", "--store", str(tmp_path / "store")])
    assert result.exit_code == 1
    assert "shacl:BudgetFigure" in result.output
    assert "positive xsd:decimal amount" in result.output


def first(graph: Graph, cls: URIRef) -> URIRef:
    return min(s for s in graph.subjects(RDF.type, cls) if isinstance(s, URIRef))


def drop_source_locations(graph: Graph, node: URIRef) -> None:
    graph.remove((node, PROV_DERIVED, None))
    graph.add((node, PROV_DERIVED, URIRef("https://example.org/not-a-document-line")))


SHAPE_BREAKS = {
    "AchievementGoal": lambda g: g.set((first(g, HKG.AchievementGoal), HKG.targetYear, Literal("2030年"))),
    "StatedInDocument": lambda g: drop_source_locations(g, first(g, HKG.BasicPolicy)),
    "Traceable": lambda g: g.remove((first(g, HKG.PriorityResearchTheme), PROV_DERIVED, None)),
    "JapaneseLabelled": lambda g: g.add((first(g, HKG.AchievementGoal), RDFS.label, Literal("別の目標", lang="ja"))),
    "CuratedSource": lambda g: g.add((URIRef("urn:example:not-a-web-page"), RDF.type, HKG.CuratedSource)),
    "LawArticle": lambda g: g.remove((first(g, HKG.LawArticle), HKG.articleOf, None)),
    "ConceptMention": lambda g: g.set((first(g, HKG.ConceptMention), HKG.mentionedConcept, ID["org-mext"])),
    "OrganizationalUnit": lambda g: g.add((first(g, HKG.OrganizationalUnit), HKG.unitOf, ID["disease-intractable"])),
}


@pytest.mark.parametrize("shape", sorted(SHAPE_BREAKS))
def test_each_document_structure_shape_fires_on_a_broken_fixture(seed_graph: Graph, shape: str) -> None:
    graph = Graph()
    graph += seed_graph
    SHAPE_BREAKS[shape](graph)
    fired = {v.check for v in shacl_violations(graph)}
    assert f"shacl:{shape}" in fired, fired


def test_every_class_the_loaders_instantiate_is_the_target_of_a_shape(seed_store: Path) -> None:
    """Inferred types are left out: they are entailed from asserted types whose shapes already apply."""
    store = open_store(seed_store)
    text = f"""
        SELECT DISTINCT ?class WHERE {{
          GRAPH ?g {{ ?x a ?class }} FILTER (?g != <{GRAPH.inferred}> && STRSTARTS(STR(?class), "{HKG}"))
        }}"""
    instantiated = {URIRef(row["class"].value) for row in store.query(text, use_default_graph_as_union=False)}
    assert {HKG.AchievementGoal, HKG.CuratedSource, HKG.OrganizationalUnit} <= instantiated
    ontology = ontology_graph()
    targets = set(shapes_graph().objects(None, SH.targetClass))
    uncovered = {c for c in instantiated if not targets & set(ontology.transitive_objects(c, RDFS.subClassOf))}
    assert not uncovered, sorted(uncovered)


CURATED_BUDGET_BREAKS = {
    "ProjectBudget": lambda g, b: g.set((b, HKG.budgetOfProject, ID["org-amed"])),
    "CuratedBudget": lambda g, b: g.add((b, HKG.inProject, ID["project-genome-data"])),
}


@pytest.mark.parametrize("shape", sorted(CURATED_BUDGET_BREAKS))
def test_curated_budget_shapes_fire_on_a_broken_fixture(seed_graph: Graph, shape: str) -> None:
    graph = Graph()
    graph += seed_graph
    CURATED_BUDGET_BREAKS[shape](graph, first(graph, HKG.ProjectBudget))
    assert f"shacl:{shape}" in {v.check for v in shacl_violations(graph)}


def test_organisation_budget_shape_fires_without_its_organisation(seed_graph: Graph) -> None:
    graph = Graph()
    graph += seed_graph
    budget = ID["organization-budget/test"]  # the seed's only AMED budget row restates a government total
    graph.add((budget, RDF.type, HKG.OrganizationBudget))
    graph.add((budget, HKG.budgetScope, Literal("AMED予算")))
    graph.add((budget, PROV_DERIVED, URIRef("https://example.org/amed")))
    assert "shacl:OrganizationBudget" in {v.check for v in shacl_violations(graph)}


LANDSCAPE_BREAKS = {
    # every figure belongs to exactly one stage of the budget process
    "BudgetFigure": lambda g: g.remove((first(g, HKG.ProgramShare), HKG.budgetStatus, None)),
    "ProgramShare": lambda g: g.remove((first(g, HKG.ProgramShare), HKG.inProject, None)),
    "GovernmentBudget": lambda g: g.add((first(g, HKG.GovernmentBudget), HKG.budgetOf, ID["org-amed"])),
    # a body no source gives an English name for keeps its working translation
    "NamedReference": lambda g: g.remove((ID["org-csti"], HKG.workingTranslation, None)),
}


@pytest.mark.parametrize("shape", sorted(LANDSCAPE_BREAKS))
def test_landscape_shapes_fire_on_a_broken_fixture(seed_graph: Graph, shape: str) -> None:
    graph = Graph()
    graph += seed_graph
    LANDSCAPE_BREAKS[shape](graph)
    assert f"shacl:{shape}" in {v.check for v in shacl_violations(graph)}


def test_a_figure_with_two_stages_is_reported(seed_graph: Graph) -> None:
    graph = Graph()
    graph += seed_graph
    graph.add((allocation(graph, "革新的がん医療実用化研究事業", 2020), HKG.budgetStatus, ID["status-request"]))
    text = "\n".join(map(str, shacl_violations(graph)))
    assert "exactly one stage of the budget process" in text
