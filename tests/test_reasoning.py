"""HermiT at build time: each inference the graph relies on, inconsistency and missing Java as build failures."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import owlready2
import pytest
from pyoxigraph import NamedNode
from rdflib import RDF, XSD, Graph, Literal

from healthkg.checks.reasoning import InconsistentGraph, ReasonerUnavailable, infer, java_executable
from healthkg.checks.validation import store_graph
from healthkg.cli.pipeline import BuildError, BuildReport, assemble, bundled_documents, check
from healthkg.loaders.triples import program_iri
from healthkg.ontology import GRAPH, HKG, ID, ontology_graph

GENOME = ID["project-genome-data"]


def inferred(report: BuildReport) -> Graph:
    graph = Graph()
    for quad in report.store.quads_for_pattern(None, None, None, NamedNode(str(GRAPH.inferred))):
        graph.parse(data=f"{quad.subject} {quad.predicate} {quad.object} .", format="nt")
    return graph


@pytest.fixture(scope="module")
def seed_inferred(seed_build: tuple[Path, BuildReport]) -> Graph:
    return inferred(seed_build[1])


def test_reasoner_ran_on_the_seed_in_reasonable_time(seed_build: tuple[Path, BuildReport]) -> None:
    report = seed_build[1]
    assert 0 < report.reasoning_seconds < 120
    assert report.graphs[str(GRAPH.inferred)] > 0


def test_inverse_has_program_is_inferred_for_every_listed_program(seed_build: tuple[Path, BuildReport],
                                                                 seed_inferred: Graph) -> None:
    union = store_graph(seed_build[1].store)
    listed = set(union.subjects(HKG.partOfProject, GENOME))
    assert len(listed) >= 10
    assert {p for p in seed_inferred.objects(GENOME, HKG.hasProgram)} >= listed


def test_in_house_budget_lines_are_classified_by_their_route(seed_build: tuple[Path, BuildReport],
                                                            seed_inferred: Graph) -> None:
    union = store_graph(seed_build[1].store)
    in_house = {
        a for a in union.subjects(HKG.fundingRoute, ID["route-inhouse"]) if (a, RDF.type, HKG.BudgetAllocation) in union
    }
    assert len(in_house) == 5  # 2 lines of 令和2年度, 3 of 平成31年度
    assert set(seed_inferred.subjects(RDF.type, HKG.InHouseBudgetLine)) == in_house


def test_programs_with_a_sourced_ministry_are_classified(seed_inferred: Graph) -> None:
    known = set(seed_inferred.subjects(RDF.type, HKG.ProgramWithKnownMinistry))
    assert program_iri("革新的がん医療実用化研究事業") in known
    assert program_iri("ゲノム研究バイオバンク事業") not in known  # no source gives its ministry


def test_project_covers_disease_areas_through_its_programs(seed_inferred: Graph) -> None:
    covered = set(seed_inferred.objects(GENOME, HKG.coversDiseaseArea))
    # 革新的がん… (がん, from a curated source) and 認知症研究開発事業 (老年医学・認知症) are genome-project programs
    assert {ID["disease-cancer"], ID["disease-geriatrics-dementia"], ID["disease-intractable"]} <= covered
    assert GENOME in set(seed_inferred.objects(ID["disease-cancer"], HKG.coveredByProject))
    assert ID["purpose-diagnosis"] in set(seed_inferred.objects(GENOME, HKG.coversPurpose))


def test_lineage_inverse_is_inferred(seed_inferred: Graph) -> None:
    assert (ID["project-genome-medicine-1st"], HKG.predecessorOf, GENOME) in seed_inferred
    assert (ID["plan-1st"], HKG.predecessorOf, ID["plan-2nd"]) in seed_inferred


def test_inferred_graph_adds_nothing_already_stated(seed_build: tuple[Path, BuildReport], seed_inferred: Graph) -> None:
    stated = Graph()
    for quad in seed_build[1].store.quads_for_pattern(None, None, None, None):
        if quad.graph_name != NamedNode(str(GRAPH.inferred)):
            stated.parse(data=f"{quad.subject} {quad.predicate} {quad.object} .", format="nt")
    assert not [t for t in seed_inferred if t in stated]


def test_inconsistent_graph_is_explained() -> None:
    abox = Graph()
    thing = ID["program/broken"]
    abox.add((thing, RDF.type, HKG.Program))
    abox.add((thing, RDF.type, HKG.BudgetAllocation))  # a program cannot be a budget figure
    figure = ID["allocation/broken"]
    abox.add((figure, RDF.type, HKG.BudgetAllocation))
    abox.add((figure, HKG.amountYen, Literal("1", datatype=XSD.decimal)))
    abox.add((figure, HKG.amountYen, Literal("2", datatype=XSD.decimal)))  # functional
    with pytest.raises(InconsistentGraph) as caught:
        infer(ontology_graph(), abox)
    message = str(caught.value)
    assert "HermiT" in message
    assert f"<{thing}> is both <{HKG.FundingScheme}> and <{HKG.BudgetFigure}>" in message
    assert f"<{figure}> has 2 values for functional property <{HKG.amountYen}>" in message


def test_inconsistent_seed_fails_the_build_before_writing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import healthkg.cli.pipeline as pipeline

    real = pipeline.store_graph

    def broken(store: object) -> Graph:
        graph = real(store)  # type: ignore[arg-type]
        graph.add((GENOME, RDF.type, HKG.Ministry))  # a project is not an organisation
        return graph

    monkeypatch.setattr(pipeline, "store_graph", broken)
    with ExitStack() as stack, pytest.raises(BuildError, match="is both .*(FundingScheme|Organization)"):
        pipeline.build(bundled_documents(stack), tmp_path / "store")
    assert not (tmp_path / "store").exists()


def test_missing_java_is_a_clear_build_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(owlready2, "JAVA_EXE", "no-such-java-binary")
    with pytest.raises(ReasonerUnavailable, match="needs Java.*no-such-java-binary"):
        java_executable()
    with ExitStack() as stack:
        report = assemble(bundled_documents(stack))
    with pytest.raises(BuildError, match="needs Java"):
        check(report)


def test_the_one_property_of_each_relationship_holds_however_the_link_is_known(
    seed_build: tuple[Path, BuildReport], seed_inferred: Graph
) -> None:
    """A text mention (mentionsDiseaseArea) is asked as concernsDiseaseArea; every figure has its budgetOf."""
    union = store_graph(seed_build[1].store)
    mentioned = set(union.subject_objects(HKG.mentionsDiseaseArea))
    assert len(mentioned) >= 20
    assert mentioned <= set(union.subject_objects(HKG.concernsDiseaseArea))
    # the inferred graph holds the super-property statements nothing asserted
    assert any(p == HKG.concernsDiseaseArea for _, p, _ in seed_inferred)
    for specific in (HKG.forScheme, HKG.budgetOfProgram, HKG.budgetOfProject, HKG.shareOfProgram):
        links = set(union.subject_objects(specific))
        assert links, specific
        assert links <= set(union.subject_objects(HKG.budgetOf)), specific
    # listings, however stated, are asked as partOfProject and seen from the project as hasProgram
    listed = set(union.subject_objects(HKG.partOfProject))
    assert {(o, s) for s, o in listed} <= set(union.subject_objects(HKG.hasProgram))


def test_a_projects_plan_period_is_inferred(seed_inferred: Graph) -> None:
    assert (ID["project-3rd-data-lifecourse"], HKG.inPeriod, ID["period-3rd"]) in seed_inferred
    assert (GENOME, HKG.inPeriod, ID["period-2nd"]) in seed_inferred
    assert not list(seed_inferred.objects(ID["project-genome-medicine-1st"], HKG.inPeriod))  # the 1st plan has none
