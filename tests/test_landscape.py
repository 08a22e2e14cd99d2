"""The default build covers the landscape (issue 10, "Done when"), each figure counted on the built store.

Sources of the expected figures: "facts.tsv:N" is a line of data/curated/facts.tsv; "L<n>" a line
of the seed document. 1億円 = 100,000,000 yen.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pyoxigraph import Store

from healthkg.engine.backends import LocalBackend
from healthkg.engine.store import open_store
from healthkg.loaders.facts import read_facts
from healthkg.loaders.lexicon import default_lexicon
from healthkg.ontology import HKG, ID

PREFIXES = """
PREFIX hkg: <https://w3id.org/healthkg/ontology#>
PREFIX id: <https://w3id.org/healthkg/id/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""


@pytest.fixture(scope="module")
def store(seed_store: Path) -> Store:
    return open_store(seed_store)


def column(store: Store, query: str, name: str) -> list[str]:
    bindings = LocalBackend(store).select(PREFIXES + query)["results"]["bindings"]
    return [row[name]["value"] for row in bindings if name in row]


def count(store: Store, query: str) -> int:
    return int(column(store, query, "n")[0])


def test_at_least_seventy_programs(store: Store) -> None:
    assert count(store, "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a hkg:Program }") >= 70


def test_at_least_forty_five_programs_with_an_enacted_budget_figure(store: Store) -> None:
    # a figure of the program itself (whole budget, project share, own document line), initial stage only
    query = """SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE {
        ?p a hkg:Program . ?figure hkg:budgetOf ?p ; hkg:budgetStatus id:status-initial }"""
    assert count(store, query) >= 45


def test_budget_figures_in_at_least_eight_fiscal_years(store: Store) -> None:
    years = column(store, "SELECT DISTINCT ?y WHERE { ?f hkg:budgetOf ?x ; hkg:fiscalYearNumber ?y }", "y")
    assert len(years) >= 8
    assert {"2015", "2020", "2025", "2026"} <= set(years)  # the series runs FY2015–2026


def test_every_integrated_project_a_source_lists_programs_under_is_linked_to_them(store: Store) -> None:
    """Twelve of the 6 + 8 projects have programs; the other two are named by no source row, never guessed."""
    query = """SELECT ?project (COUNT(DISTINCT ?program) AS ?n) WHERE {
        ?project hkg:partOfPlan ?plan . VALUES ?plan { id:plan-2nd id:plan-3rd }
        OPTIONAL { ?program hkg:partOfProject ?project } } GROUP BY ?project"""
    bindings = LocalBackend(store).select(PREFIXES + query)["results"]["bindings"]
    programs = {row["project"]["value"]: int(row["n"]["value"]) for row in bindings}
    assert len(programs) == 14
    empty = {iri for iri, n in programs.items() if n == 0}
    assert len(programs) - len(empty) >= 12
    # a project left without programs is one no listing row of the curated file names for its period
    lexicon = default_lexicon()
    for row in read_facts():
        if row.predicate == "integrated_project" and row.fiscal_year is not None and not row.decision:
            named = lexicon.lookup(row.object, HKG.IntegratedProject, row.fiscal_year)
            assert named is None or str(named) not in empty, row
    assert empty <= {str(ID["project-3rd-medical-devices"]), str(ID["project-3rd-innovation-ecosystem"])}


def test_at_least_fourteen_programs_and_projects_with_an_official_english_name(store: Store) -> None:
    query = """SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {
        VALUES ?class { hkg:Program hkg:IntegratedProject } ?x a ?class ; rdfs:label ?name .
        FILTER(lang(?name) = "en") }"""
    assert count(store, query) >= 14
    # facts.tsv:491 (label_en of 革新的がん医療実用化研究事業), facts.tsv:497 (of ゲノム・データ基盤プロジェクト)
    names = column(store, 'SELECT ?name WHERE { ?x rdfs:label "革新的がん医療実用化研究事業"@ja ; rdfs:label ?name '
                          'FILTER(lang(?name) = "en") }', "name")
    assert names == ["Practical Research for Innovative Cancer Control"]
    assert column(store, 'SELECT ?name WHERE { id:project-genome-data rdfs:label ?name FILTER(lang(?name) = "en") }',
                  "name") == ["Health and Clinical Data Project"]


def test_the_fy2021_amed_total_of_the_pharmaceuticals_project_is_queryable(store: Store) -> None:
    # facts.tsv (budget_fy_amed, 医薬品プロジェクト, 2021, JGA news): AMED対象経費 336億円, all ministries
    query = """SELECT ?a WHERE {
        ?f hkg:budgetOfProject id:project-pharmaceuticals ; hkg:fiscalYearNumber 2021 ;
           hkg:fundingRoute id:route-amed ; hkg:budgetStatus id:status-initial ; hkg:amountYen ?a .
        FILTER NOT EXISTS { ?f hkg:appropriatedBy ?ministry } }"""
    assert [int(float(a)) for a in column(store, query, "a")] == [33_600_000_000]


def test_the_seeds_25_budget_lines_and_4_declared_totals_are_unchanged(store: Store) -> None:
    query = """SELECT ?y ?r ?s (COUNT(?l) AS ?n) (SUM(?a) AS ?sum) WHERE {
        ?l a hkg:BudgetAllocation ; hkg:fiscalYearNumber ?y ; hkg:fundingRoute/hkg:code ?r ;
           hkg:relistingStatus/hkg:code ?s ; hkg:amountYen ?a ; hkg:budgetStatus id:status-initial }
        GROUP BY ?y ?r ?s"""
    bindings = LocalBackend(store).select(PREFIXES + query)["results"]["bindings"]
    got = {(b["y"]["value"], b["r"]["value"], b["s"]["value"]): (int(b["n"]["value"]), int(float(b["sum"]["value"])))
           for b in bindings}
    assert got == {
        ("2020", "amed", "no"): (11, 17_500_000_000),  # L216-L257, adding up to the declared 175億 (L203)
        ("2020", "amed", "duplicate"): (1, 1_900_000_000),  # L234 (再掲) 19億
        ("2020", "inhouse", "no"): (2, 1_800_000_000),  # L242-243 11億 + L255-256 7億
        ("2019", "amed", "no"): (5, 6_180_000_000),  # the FY2019 blocks' own lines
        ("2019", "amed", "portion"): (3, 3_660_000_000),  # L383 23.9 + L389 0.8 + L395 11.9 (再掲:…部分)
        ("2019", "inhouse", "no"): (3, 1_800_000_000),  # L355 3.8 + L362 3.5 + L422 10.7
    }
    assert sum(n for n, _ in got.values()) == 25
    totals = column(store, """SELECT ?a WHERE { ?t a hkg:DeclaredBudgetTotal ; hkg:amountYen ?a ;
                                 hkg:budgetStatus id:status-initial }""", "a")
    # L203 175億 and L206 18億 (FY2020), L316 98億 and L319 18億 (FY2019)
    assert sorted(int(float(a)) for a in totals) == [1_800_000_000, 1_800_000_000, 9_800_000_000, 17_500_000_000]


def test_the_default_build_stays_under_a_minute(seed_build_seconds: float) -> None:
    assert seed_build_seconds < 60
