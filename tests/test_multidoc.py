"""Several documents built together: no repeated rows, sums as each document alone gives them.

The build together holds the seed, the three family decks and two yearly decks of
one 3rd-period project (tests/data/multidoc/): the FY2026 deck restates the FY2025
deck's figures (115.34億円 of AMED money, 12.5億円 in-house) and lists the same
program group. Before figures were named by their content, the restated figures
counted twice (FY2025 AMED: 230.68億円) and the group stopped the build with a
duplicate label; and the union default graph, a bag, repeated every row built on
a triple two documents state.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from pyoxigraph import Store

from healthkg.cli.pipeline import BuildReport, assemble, build
from healthkg.engine.backends import LocalBackend
from healthkg.engine.store import open_store
from healthkg.loaders.errors import DocumentError
from healthkg.loaders.triples import program_iri
from healthkg.ontology import GRAPH, HKG, ID
from healthkg.queries.catalogue import NamedQuery, catalogue
from healthkg.queries.entities import EntityResolver

DATA = Path(__file__).parent / "data"
SEED = Path(__file__).parents[1] / "data" / "documents" / "2020-08-04_cas_genome-data-platform-project.md"
FY2025 = DATA / "multidoc" / "2025-06-02_data-lifecourse-fy2025.md"
FY2026 = DATA / "multidoc" / "2026-06-01_data-lifecourse-fy2026.md"
DOCUMENTS = [SEED, *sorted((DATA / "family").glob("*.md")), FY2025, FY2026]
LIFECOURSE = "データ利活用・ライフコースプロジェクト"
OKU = 100_000_000

Row = tuple[str, ...]


@pytest.fixture(scope="module")
def together(tmp_path_factory: pytest.TempPathFactory) -> tuple[LocalBackend, BuildReport]:
    """The real build: reasoner, SHACL and QC gates (a duplicate label would stop it) and the store."""
    store = tmp_path_factory.mktemp("together") / "store"
    report = build(DOCUMENTS, store)
    return LocalBackend(open_store(store)), report


@pytest.fixture(scope="module")
def alone() -> dict[str, LocalBackend]:
    """Each document assembled on its own (the reasoner adds no budget figure, so sums compare)."""
    return {path.name: LocalBackend(assemble([path]).store) for path in DOCUMENTS}


def required(mondo_endpoint: str) -> dict[str, dict[str, str]]:
    """Values for the parameters a query cannot run without; a new query with one must be added here."""
    return {
        "provenance": {"iri": "ゲノム医療実現推進プラットフォーム事業"},  # a program three documents list
        "describe": {"iri": LIFECOURSE},  # the project both yearly decks are about
        "disease-area-mondo": {"endpoint": mondo_endpoint},
        "label-search": {"q": "ゲノム"},
    }


def answer(backend: LocalBackend, query: NamedQuery, params: dict[str, str]) -> list[Row]:
    text = query.render(params, EntityResolver(backend))
    if query.kind in ("CONSTRUCT", "DESCRIBE"):
        return [(line,) for line in backend.construct(text).decode("utf-8").splitlines() if line]
    results = backend.select(text)
    columns = results["head"]["vars"]
    return [tuple(b.get(c, {}).get("value", "") for c in columns) for b in results["results"]["bindings"]]


@pytest.mark.parametrize("name", sorted(catalogue()))
def test_every_named_query_answers_each_row_once(
        together: tuple[LocalBackend, BuildReport], mondo_endpoint: str, name: str) -> None:
    backend, _ = together
    query = catalogue()[name]
    params = required(mondo_endpoint).get(name, {})
    missing = [p.name for p in query.params if p.required and p.name not in params]
    assert not missing, f"give test values for {name}'s required {missing} in required()"
    rows = answer(backend, query, params)
    repeated = {row: n for row, n in Counter(rows).items() if n > 1}
    assert repeated == {}
    if "audit" not in query.tags:  # audits may rightly find nothing; every question has an answer here
        assert rows


# Summing queries whose rows for one document's projects and years are what that document alone gives.
_SUMS = {
    "budget-lines": {},
    "budget-by-ministry": {},
    "budget-reconciliation": {},
    "budget-route-split": {},
    "program-budget-change": {"measure": "document"},
}


@pytest.mark.parametrize("name", sorted(_SUMS))
def test_sums_together_equal_the_sums_of_each_document_alone(
        together: tuple[LocalBackend, BuildReport], alone: dict[str, LocalBackend], name: str) -> None:
    backend, _ = together
    query = catalogue()[name]
    keep = [i for i, column in enumerate(query.columns) if column != "documents"]  # which files, not what sums
    both = {tuple(row[i] for i in keep) for row in answer(backend, query, _SUMS[name])}
    for document, single in alone.items():
        rows = {tuple(row[i] for i in keep) for row in answer(single, query, _SUMS[name])}
        assert rows <= both, f"{document}: {sorted(rows - both)}"


def test_restated_figures_count_once(
        together: tuple[LocalBackend, BuildReport], alone: dict[str, LocalBackend]) -> None:
    backend, _ = together
    query = catalogue()["budget-by-ministry"]
    rows = answer(backend, query, {"fiscal_year": "2025", "project": LIFECOURSE})
    by_route: Counter[str] = Counter()
    for row in rows:
        by_route[row[2]] += int(row[4])
    # 20.5 + 30.04 + 14.8 + 50 億円, stated by the FY2025 deck and restated by the FY2026 deck: once, not 230.68億円
    assert by_route == {"amed": 11_534_000_000, "inhouse": 1_250_000_000}
    reconciliation = answer(backend, catalogue()["budget-reconciliation"], {"fiscal_year": "2025"})
    assert reconciliation == [
        (LIFECOURSE, "2025", "amed", "11534000000", "11534000000", "true"),
        (LIFECOURSE, "2025", "inhouse", "1250000000", "1250000000", "true"),
    ]
    # 25 seed lines, 16 of the family decks, 10 of the yearly decks (5 per year, FY2025's read twice):
    # the documents alone give 56 rows, and the five the FY2026 deck restates are the FY2025 deck's
    lines = catalogue()["budget-lines"]
    assert sum(len(answer(single, lines, {})) for single in alone.values()) == 56
    assert len(answer(backend, lines, {})) == 51


def test_a_group_two_decks_list_is_one_group(together: tuple[LocalBackend, BuildReport]) -> None:
    backend, report = together
    assert report.violations == []  # built: no duplicate-label-violation
    groups = backend.select(f"""
        SELECT ?group (COUNT(DISTINCT ?label) AS ?labels) (COUNT(DISTINCT ?where) AS ?places) WHERE {{
          ?group a <{HKG.ProgramGroup}> ; <{HKG.hasMember}> <{program_iri('臨床研究等ICT基盤構築・人工知能実装研究事業')}> ;
              <http://www.w3.org/2000/01/rdf-schema#label> ?label ; <http://www.w3.org/ns/prov#wasDerivedFrom> ?where .
        }} GROUP BY ?group""")["results"]["bindings"]
    # one group, one label, read from the FY2025 deck's line and both year lines of the FY2026 deck
    assert [(int(g["labels"]["value"]), int(g["places"]["value"])) for g in groups] == [(1, 3)]


def test_each_triple_is_stored_in_one_graph(together: tuple[LocalBackend, BuildReport]) -> None:
    backend, _ = together
    found = backend.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?a { ?s ?p ?o } GRAPH ?b { ?s ?p ?o } "
                           "FILTER(STR(?a) < STR(?b)) }")
    assert found["results"]["bindings"][0]["n"]["value"] == "0"


def test_a_later_deck_keeps_its_own_lines_and_states_only_what_is_new(
        together: tuple[LocalBackend, BuildReport]) -> None:
    backend, report = together
    graph = f"{GRAPH}document/2026-06-01_data-lifecourse-fy2026"
    assert graph in report.graphs

    def count(pattern: str, outside: str = "") -> int:
        text = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ {pattern} }} {outside} }}"
        return int(backend.select(text)["results"]["bindings"][0]["n"]["value"])

    # its five FY2026 lines and two FY2026 totals are new; the FY2025 ones were stated first by the FY2025 deck
    assert count(f"?f a <{HKG.BudgetAllocation}>") == 5
    assert count(f"?f a <{HKG.DeclaredBudgetTotal}>") == 2
    # all 14 of its figure lines stay in its graph, each with the amount it states, and point at no other document
    assert count(f"?where <{HKG.statesAmountYen}> ?yen") == 14
    figures = f"{{ ?f a <{HKG.BudgetAllocation}> }} UNION {{ ?f a <{HKG.DeclaredBudgetTotal}> }}"  # in any graph
    derived = f"?f <http://www.w3.org/ns/prov#wasDerivedFrom> ?where . ?where <{HKG.statesAmountYen}> ?yen"
    assert count(derived, figures) == 14


# -- disagreeing restatements ---------------------------------------------------------


@pytest.fixture
def restating(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """The FY2025 deck, and a FY2026 deck that restates its dementia figure as 52億円 and its platform as 20.50億円."""
    older = tmp_path / FY2025.name
    older.write_text(FY2025.read_text(encoding="utf-8"), encoding="utf-8")
    text = FY2026.read_text(encoding="utf-8")
    text = text.replace("前年度 令和七年度予算額50億円", "前年度 令和七年度予算額52億円")
    text = text.replace("前年度 令和七年度予算額20.5億円", "前年度 令和七年度予算額20.50億円")
    newer = tmp_path / FY2026.name
    newer.write_text(text, encoding="utf-8")
    yield older, newer


@pytest.mark.parametrize("order", ["issued", "reversed"])
def test_the_latest_document_wins_and_the_disagreement_is_reported(restating: tuple[Path, Path], order: str) -> None:
    older, newer = restating
    report = assemble([older, newer] if order == "issued" else [newer, older])  # the issue date decides
    backend = LocalBackend(report.store)
    kept = answer(backend, catalogue()["budget-lines"], {"fiscal_year": "2025", "route": "amed"})
    assert {row[3]: int(row[4]) for row in kept}["認知症研究開発事業"] == 52 * OKU
    assert [w for w in report.warnings if "is stated as" in w] == [
        f"{newer}:36: budget figure '認知症研究開発事業' (FY2025) is stated as 52億円 here but as 50億円 at {older}:20:"
        " the most recently issued document's figure is kept"
    ]  # 20.50億円 restates 20.5億円 at another precision: no disagreement
    assert answer(backend, catalogue()["audit-figure-disagreements"], {}) == [
        ("認知症研究開発事業", LIFECOURSE, "2025", "amed", str(52 * OKU), older.name, "20", str(50 * OKU)),
    ]
    # each document is still checked against its own lines: the newer one's FY2025 lines add up to 117.34億円
    inconsistent = answer(backend, catalogue()["audit-inconsistent-totals"], {})
    assert [(row[0], row[1], row[5], row[6]) for row in inconsistent] == [
        (newer.name, "15", "11534000000", "11734000000"),
    ]


def _figure_values(store: Store, node: str) -> dict[str, set[str]]:
    values: dict[str, set[str]] = {}
    for quad in store.quads_for_pattern(None, None, None, None):
        if quad.subject.value == node:
            values.setdefault(quad.predicate.value, set()).add(quad.object.value)
    return values


def test_a_restated_figure_has_one_value_of_each_one_valued_property(restating: tuple[Path, Path]) -> None:
    older, newer = restating
    report = assemble([older, newer])
    rows = report.store.query(
        f"SELECT ?f WHERE {{ ?f a <{HKG.BudgetAllocation}> ; <{HKG.fiscalYearNumber}> 2025 ; "
        f"<http://www.w3.org/2000/01/rdf-schema#label> \"ゲノム医療実現推進プラットフォーム事業\"@ja }}",
        use_default_graph_as_union=True)
    (figure,) = [row["f"].value for row in rows]
    values = _figure_values(report.store, figure)
    one_valued = (HKG.amountYen, HKG.precisionYen, HKG.statedAmount, "http://purl.org/dc/terms/description")
    assert {str(p): values[str(p)] for p in one_valued} == {
        str(HKG.amountYen): {"2050000000"},
        str(HKG.precisionYen): {"1000000"},  # 20.50億円: the later document's precision and text
        str(HKG.statedAmount): {"20.50億円"},
        # 前年度 names the figure's stage (the year before's enacted budget), so the later line states no
        # description of its own and the earlier one's stays
        "http://purl.org/dc/terms/description": {"大規模ゲノム解析の推進"},
    }
    assert len(values["http://www.w3.org/ns/prov#wasDerivedFrom"]) == 2  # both documents' lines


# -- document identity ---------------------------------------------------------------


def _deck(folder: Path, name: str, amount: str = "20億円") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(
        "# 資料\n\n令和7年6月1日\n\n内閣官房健康・医療戦略室\n\n# 医薬品プロジェクト\n\n"
        f"日本医療研究開発機構対象経費\n令和7年度予算額 {amount}\n\n- **甲事業**: 説明 予算額{amount}\n",
        encoding="utf-8",
    )
    return path


def _documents(report: BuildReport) -> dict[str, str]:
    rows = report.store.query(f"SELECT ?d ?f WHERE {{ ?d a <{HKG.PolicyDocument}> ; <{HKG.fileName}> ?f }}",
                              use_default_graph_as_union=True)
    return {row["d"].value: row["f"].value for row in rows}


def test_documents_with_japanese_names_keep_them_and_do_not_collide(tmp_path: Path) -> None:
    report = assemble([_deck(tmp_path, "令和7年度_医薬品.md"), _deck(tmp_path, "令和7年度_宇宙.md", "30億円")])
    assert _documents(report) == {
        f"{ID}document/令和7年度_医薬品": "令和7年度_医薬品.md",
        f"{ID}document/令和7年度_宇宙": "令和7年度_宇宙.md",
    }
    assert {f"{GRAPH}document/令和7年度_医薬品", f"{GRAPH}document/令和7年度_宇宙"} <= set(report.graphs)


def test_one_file_name_in_two_folders_gives_two_documents(tmp_path: Path) -> None:
    first, second = _deck(tmp_path / "a", "deck.md"), _deck(tmp_path / "b", "deck.md", "30億円")
    report = assemble([first, second])
    found = _documents(report)
    assert len(found) == 2 and set(found.values()) == {"deck.md"}
    # told apart by their content's digest, which does not depend on the other file or the order given
    again = _documents(assemble([second, first]))
    assert found == again and all(iri.startswith(f"{ID}document/deck-") for iri in found)


def test_the_same_document_twice_is_an_error_naming_both_files(tmp_path: Path) -> None:
    first, second = _deck(tmp_path / "a", "deck.md"), _deck(tmp_path / "b", "deck.md")
    with pytest.raises(DocumentError) as caught:
        assemble([first, second])
    assert str(first) in str(caught.value) and str(second) in str(caught.value)


def test_a_copy_with_page_breaks_adds_its_lines_but_no_figure(tmp_path: Path) -> None:
    """The seed and a copy of it whose conversion left form feeds: every figure once, on the same lines."""
    copy = tmp_path / "converted-again" / SEED.name
    copy.parent.mkdir()
    copy.write_text(SEED.read_text(encoding="utf-8").replace("\n## ", "\n\f## "), encoding="utf-8")
    both = LocalBackend(assemble([SEED, copy]).store)
    seed = LocalBackend(assemble([SEED]).store)
    lines = catalogue()["budget-lines"]
    assert answer(both, lines, {}) == answer(seed, lines, {})
    located = both.select(f"""
        SELECT ?line (COUNT(DISTINCT ?where) AS ?places) (COUNT(DISTINCT ?n) AS ?numbers) WHERE {{
          ?line a <{HKG.BudgetAllocation}> ; <http://www.w3.org/ns/prov#wasDerivedFrom> ?where .
          ?where <{HKG.lineNumber}> ?n }} GROUP BY ?line""")["results"]["bindings"]
    # each of the 25 lines is read from both files, at the same line number in each
    assert len(located) == 25
    assert {(r["places"]["value"], r["numbers"]["value"]) for r in located} == {("2", "1")}
    counted = sum(Decimal(row[4]) for row in answer(both, lines, {}) if row[5] != "duplicate")
    assert counted == (175 + 18 + Decimal("98.4") + 18) * OKU  # the seed's lines, summed once


def test_warnings_name_each_file_by_the_path_it_was_given_as(together: tuple[LocalBackend, BuildReport]) -> None:
    _, report = together
    assert report.warnings
    given = tuple(f"{path}:" for path in DOCUMENTS)
    assert all(warning.startswith(given) for warning in report.warnings), report.warnings
