"""Curated facts: loaded with their source, matched to the seed's programs, never guessed; mappings from verified rows only."""

from __future__ import annotations

import csv
from decimal import Decimal
from importlib import resources
from pathlib import Path

import bioregistry
import pytest
from pyoxigraph import NamedNode
from rdflib import PROV, RDF, SKOS, Graph, URIRef

from healthkg.cli.pipeline import BuildReport
from healthkg.loaders.facts import (
    BudgetSubject,
    FactKey,
    FactsFileError,
    budget_subjects,
    fact_keys,
    load_facts,
    read_facts,
)
from healthkg.loaders.mappings import MappingFileError, mapping_triples, read_sssom
from healthkg.loaders.triples import program_iri
from healthkg.ontology import GRAPH, HKG, ID, ontology_graph

CANCER = program_iri("革新的がん医療実用化研究事業")


def named_graph(report: BuildReport, name: URIRef) -> Graph:
    graph = Graph()
    for quad in report.store.quads_for_pattern(None, None, None, NamedNode(str(name))):
        graph.parse(data=f"{quad.subject} {quad.predicate} {quad.object} .", format="nt")
    return graph


@pytest.fixture(scope="module")
def facts(seed_build: tuple[Path, BuildReport]) -> Graph:
    return named_graph(seed_build[1], GRAPH.facts)


def curated_rows() -> list[dict[str, str]]:
    text = resources.files("healthkg.data").joinpath("curated/facts.tsv").read_text(encoding="utf-8")
    return list(csv.DictReader([line for line in text.splitlines() if not line.startswith("#")], delimiter="\t"))


def test_every_curated_statement_carries_its_source_url_and_quote(
        seed_build: tuple[Path, BuildReport], facts: Graph) -> None:
    stored = seed_build[1].store
    quotes = {(r["source_url"], r["quote"]) for r in curated_rows()}
    records = list(facts.subjects(RDF.type, HKG.CuratedFact))
    assert len(records) > 100
    for record in records:
        (source,) = facts.objects(record, PROV.wasDerivedFrom)
        assert (source, RDF.type, HKG.CuratedSource) in facts
        assert (str(source), str(facts.value(record, HKG.quote))) in quotes
        statement = (
            facts.value(record, RDF.subject),
            facts.value(record, RDF.predicate),
            facts.value(record, RDF.object),
        )
        # the reified statement is asserted too: in this graph, or in the document that stated it first
        # (each triple is stored once, issue 10)
        triple = tuple(NamedNode(str(term)) for term in statement)
        assert statement in facts or any(True for _ in stored.quads_for_pattern(*triple, None))


def test_every_facts_triple_is_traceable(facts: Graph) -> None:
    supported = {
        (facts.value(r, RDF.subject), facts.value(r, RDF.predicate), facts.value(r, RDF.object))
        for r in facts.subjects(RDF.type, HKG.CuratedFact)
    }
    for s, p, o in facts:
        if p in (
            HKG.administeredBy,
            HKG.leadBureau,
            HKG.amedDepartment,
            HKG.partOfProject,
            HKG.successorOf,
            HKG.concernsDiseaseArea,
            HKG.concernsPurpose,
        ):
            assert (s, p, o) in supported
        elif (s, RDF.type, HKG.CuratedFact) not in facts and (s, RDF.type, HKG.CuratedSource) not in facts:
            assert (
                list(facts.objects(s, PROV.wasDerivedFrom)) or p == RDF.type or (s, RDF.type, HKG.Program) in facts
            ), (s, p, o)


def test_facts_land_on_the_seeds_programs(seed_build: tuple[Path, BuildReport], facts: Graph) -> None:
    document = next(g for g in seed_build[1].graphs if "/graph/document/" in g)
    seed_programs = set(named_graph(seed_build[1], URIRef(document)).subjects(RDF.type, HKG.Program))
    with_ministry = {p for p in facts.subjects(HKG.administeredBy, None)}
    assert CANCER in seed_programs & with_ministry
    assert (program_iri("東北メディカル・メガバンク計画"), HKG.administeredBy, ID["org-mext"]) in facts
    assert len(seed_programs & with_ministry) >= 15


def test_program_budget_is_the_whole_not_the_projects_share(seed_build: tuple[Path, BuildReport], facts: Graph) -> None:
    budgets = {
        b
        for b in facts.subjects(HKG.budgetOfProgram, CANCER)
        if facts.value(b, HKG.fiscalYearNumber).toPython() == 2020
    }
    amounts = sorted(Decimal(str(facts.value(b, HKG.amountYen))) for b in budgets)
    assert amounts == [Decimal("8673021000"), Decimal("8700000000")]  # 千円 exact and 億円 rounded, two sources
    assert all(
        (b, RDF.type, HKG.ProgramBudget) in facts and (b, RDF.type, HKG.BudgetAllocation) not in facts for b in budgets
    )
    document = next(g for g in seed_build[1].graphs if "/graph/document/" in g)
    lines = named_graph(seed_build[1], URIRef(document))
    share = next(
        a for a in lines.subjects(HKG.forScheme, CANCER) if lines.value(a, HKG.fiscalYearNumber).toPython() == 2020
    )
    assert Decimal(str(lines.value(share, HKG.amountYen))) == Decimal("3200000000")


def test_unplaceable_facts_are_skipped_with_a_reason_not_guessed() -> None:
    skipped = {(s.row.subject, s.row.predicate, s.row.object): s.reason for s in load_facts().skipped}
    # a 2nd-period project's name on a FY2026 listing: the 3rd-period plan has no project of that name
    assert "outside the plan period" in skipped[("移植医療技術開発研究事業", "integrated_project", "ゲノム・データ基盤 PJ")]
    assert "names no DiseaseArea" in skipped[("移植医療技術開発研究事業", "disease_area", "その他の疾患 (AMED tag)")]
    namesake = [r for k, r in skipped.items() if k[0] == "臨床研究等ICT基盤構築・人工知能実装研究事業"]
    assert namesake and all("different program" in r for r in namesake)
    graph = load_facts().graph
    assert not list(graph.subjects(HKG.budgetOfProgram, program_iri("臨床研究等ICT基盤構築・人工知能実装研究事業")))


def test_a_project_name_both_plans_use_resolves_by_fiscal_year() -> None:
    graph = load_facts().graph
    cancer = program_iri("革新的がん医療実用化研究事業")
    projects = set(graph.objects(cancer, HKG.partOfProject))
    assert {ID["project-pharmaceuticals"], ID["project-3rd-pharmaceuticals"]} <= projects  # FY2023 and FY2026 rows
    assert ID["project-3rd-infectious-diseases"] in set(graph.objects(program_iri("肝炎等克服実用化研究事業"), HKG.partOfProject))


def test_malformed_facts_file_names_the_line() -> None:
    header = "subject\tsubject_kind\tpredicate\tobject\tfiscal_year\tamount_yen\tunit\tsource_url\tquote"
    with pytest.raises(FactsFileError, match=r"facts.tsv:3: source_url must be an http"):
        read_facts(f"# comment\n{header}\nX事業\tprogram\tministry\t厚生労働省\t\t\t\tnot-a-url\tq\n")
    with pytest.raises(FactsFileError, match=r"facts.tsv:2: amount_yen must be positive"):
        read_facts(f"{header}\nX事業\tprogram\tbudget_fy\tx\t2020\t-1\t千円\thttps://example.org/\tq\n")


HEADER = "subject\tsubject_kind\tpredicate\tobject\tfiscal_year\tamount_yen\tunit\tsource_url\tquote"


@pytest.mark.parametrize(
    "amount, unit, precision, stated",
    [
        ("1234000000", "百万円", "1000000", "1234百万円"),
        ("8673021000", "千円", "1000", "8673021千円"),
        ("3250000000", "億円", "10000000", "32.5億円"),
        ("3200000000", "億円", "100000000", "32億円"),
    ],
)
def test_budget_units_come_from_the_reference_vocabulary(amount: str, unit: str, precision: str, stated: str) -> None:
    rows = read_facts(
        f"{HEADER}\nX研究事業\tprogram\tbudget_fy\t当初予算\t2021\t{amount}\t{unit}\thttps://example.org/b\tq\n"
    )
    load = load_facts(rows)
    assert load.skipped == []
    (budget,) = load.graph.subjects(RDF.type, HKG.ProgramBudget)
    assert load.graph.value(budget, HKG.precisionYen).toPython() == Decimal(precision)
    assert str(load.graph.value(budget, HKG.precisionYen)) == precision  # a plain xsd:decimal lexical form
    assert str(load.graph.value(budget, HKG.statedAmount)) == stated


def test_budget_in_an_unknown_unit_is_skipped_not_scaled() -> None:
    rows = read_facts(
        f"{HEADER}\nX研究事業\tprogram\tbudget_fy\t当初予算\t2021\t1234000000\tドル\thttps://example.org/b\tq\n"
    )
    (skipped,) = load_facts(rows).skipped
    assert "not an amount unit" in skipped.reason


def test_predicate_keys_are_read_from_the_ontology() -> None:
    keys = fact_keys()
    assert keys["ministry"] == FactKey(HKG.administeredBy, HKG.Ministry)
    assert keys["lead_bureau"] == FactKey(HKG.leadBureau, HKG.OrganizationalUnit)
    assert keys["budget_fy"].term == HKG.BudgetFigure
    subjects = budget_subjects()
    assert subjects["project"] == BudgetSubject(HKG.budgetOfProject, HKG.ProjectBudget, HKG.IntegratedProject)
    assert subjects["program"].figure == HKG.ProgramBudget
    assert keys["successor_of"] == FactKey(HKG.successorOf, None)
    used = {r["predicate"] for r in curated_rows()}
    assert used - set(keys) == {"other"}  # every statement key of the curated file has a meaning in the ontology
    ontology = ontology_graph()
    ontology.remove((HKG.concernsPurpose, HKG.factKey, None))
    assert "purpose" not in fact_keys(ontology)


def test_project_and_organisation_budgets_are_curated_figures_apart_from_document_lines(
    seed_build: tuple[Path, BuildReport], facts: Graph
) -> None:
    project_budgets = set(facts.subjects(RDF.type, HKG.ProjectBudget))
    assert len(project_budgets) >= 5
    genome = {
        facts.value(b, HKG.fiscalYearNumber).toPython(): b
        for b in facts.subjects(HKG.budgetOfProject, ID["project-genome-data"])
    }
    assert Decimal(str(facts.value(genome[2021], HKG.amountYen))) == Decimal(10400000000)
    assert "厚生労働省計上分" in str(facts.value(genome[2021], HKG.budgetScope))
    (amed,) = facts.subjects(HKG.budgetOfOrganization, ID["org-amed"])
    assert (amed, RDF.type, HKG.OrganizationBudget) in facts
    for budget in project_budgets | {amed}:
        (source,) = facts.objects(budget, PROV.wasDerivedFrom)
        assert (source, RDF.type, HKG.CuratedSource) in facts
        assert facts.value(budget, HKG.inProject) is None
    totals = seed_build[1].store.query(
        "PREFIX hkg: <https://w3id.org/healthkg/ontology#> "
        "SELECT ?figure WHERE { ?figure a hkg:ProjectBudget , ?other . "
        "VALUES ?other { hkg:BudgetAllocation hkg:DeclaredBudgetTotal } }",
        use_default_graph_as_union=True,
    )
    assert not list(totals)  # disjoint from the figures document reconciliation sums


def test_budget_of_a_project_outside_its_plan_period_or_an_unknown_body_is_skipped() -> None:
    rows = read_facts(
        f"{HEADER}\n"
        "ゲノム・データ基盤プロジェクト\tproject\tbudget_fy\t総額\t2019\t100000000\t億円\thttps://example.org/p\tq\n"
        "架空機構\torganisation\tbudget_fy\t総額\t2021\t100000000\t億円\thttps://example.org/o\tq\n"
        "ゲノム・データ基盤プロジェクト\tproject\tbudget_fy\tAMED分\t2022\t12345000000\t百万円\thttps://example.org/p\tq\n"
    )
    load = load_facts(rows)
    reasons = [s.reason for s in load.skipped]
    assert "outside the plan period" in reasons[0] and "names no Organization" in reasons[1]
    (budget,) = load.graph.subjects(RDF.type, HKG.ProjectBudget)
    assert str(load.graph.value(budget, HKG.statedAmount)) == "12345百万円"


def verified_reference_iris() -> set[str]:
    text = resources.files("healthkg.data").joinpath("curated/external_ids.tsv").read_text(encoding="utf-8")
    return {r["iri"] for r in csv.DictReader(text.splitlines(), delimiter="\t") if r["verified"] == "yes" and r["iri"]}


def test_every_mapped_iri_comes_from_a_verified_reference_row() -> None:
    verified = verified_reference_iris()
    graph = mapping_triples()
    targets = {
        o
        for p in (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch)
        for o in graph.objects(None, p)
    }
    assert len(targets) > 100
    assert {str(t) for t in targets} <= verified


def test_disease_areas_are_never_exact_matches_and_all_are_mapped() -> None:
    mappings = read_sssom().mappings
    areas = {m.subject for m in mappings if "/disease-" in str(m.subject)}
    assert len(areas) == 7
    assert not [m for m in mappings if m.subject in areas and m.predicate == SKOS.exactMatch]
    lifestyle = {(m.predicate, str(m.object)) for m in mappings if m.subject == ID["disease-lifestyle"]}
    assert (SKOS.narrowMatch, "http://purl.obolibrary.org/obo/MONDO_0005015") in lifestyle  # diabetes within 生活習慣病


def test_curie_map_follows_bioregistry_except_documented_funder_dois() -> None:
    mapping_set = read_sssom()
    overrides = {"funderregistry": "https://doi.org/10.13039/"}  # the DOI form external_ids.tsv and ROR use
    for prefix, uri_prefix in mapping_set.metadata["curie_map"].items():
        resource = bioregistry.get_resource(prefix.lower())
        if prefix in ("hkgid",) or resource is None:
            continue
        expected = overrides.get(prefix) or resource.get_rdf_uri_prefix() or resource.get_uri_prefix()
        assert uri_prefix == expected, prefix
    assert "funderregistry" in mapping_set.metadata["curie_map"]
    assert "doi.org" in mapping_set.metadata["comment"]


def test_malformed_mapping_row_names_the_line() -> None:
    text = (
        "#curie_map:\n#  hkgid: https://w3id.org/healthkg/id/\n#  MONDO: http://purl.obolibrary.org/obo/MONDO_\n"
        "subject_id\tpredicate_id\tobject_id\tmapping_justification\tsee_also\n"
        "hkgid:disease-cancer\tskos:closeMatch\tNOPE:1\tsemapv:ManualMappingCuration\thttps://example.org/\n"
    )
    with pytest.raises(MappingFileError, match=r"mappings.sssom.tsv:5: object_id 'NOPE:1' has no prefix"):
        read_sssom(text)
