"""The bundled seed deck builds, and the two foundational named queries answer from its data."""

from __future__ import annotations

from pathlib import Path

from healthkg.cli.pipeline import BuildReport
from healthkg.engine.backends import LocalBackend
from healthkg.engine.store import open_store, read_info
from healthkg.queries.catalogue import catalogue
from healthkg.queries.entities import EntityResolver


def rows(store: Path, name: str, **params: str) -> list[dict[str, str]]:
    backend = LocalBackend(open_store(store))
    results = backend.select(catalogue()[name].render(params, EntityResolver(backend)))
    return [{k: v["value"] for k, v in b.items()} for b in results["results"]["bindings"]]


def test_build_writes_named_graph_per_document(seed_build: tuple[Path, BuildReport]) -> None:
    store, report = seed_build
    info = read_info(store)
    document_graphs = [g for g in info.graphs if "/graph/document/" in g]
    assert len(document_graphs) == len(report.documents) == 1
    assert info.graphs[document_graphs[0]] > 0
    assert report.violations == []


def test_reconciliation_has_four_consistent_rows(seed_store: Path) -> None:
    result = rows(seed_store, "budget-reconciliation")
    assert [(r["fiscal_year"], r["route"], r["consistent"]) for r in result] == [
        # order: project label, then year and route
        ("2020", "amed", "true"),
        ("2020", "inhouse", "true"),
        ("2019", "amed", "true"),
        ("2019", "inhouse", "true"),
    ]
    by_key = {(r["fiscal_year"], r["route"]): r for r in result}
    # 令和2年度 AMED total 175億円 = sum of the 12 lines (19 duplicate excluded)
    assert by_key[("2020", "amed")]["declared_yen"] == by_key[("2020", "amed")]["computed_yen"] == "17500000000"
    # 平成31年度 declared 98億円; lines add up to 98.4億円, within ±0.5億円
    assert by_key[("2019", "amed")]["declared_yen"] == "9800000000"
    assert by_key[("2019", "amed")]["computed_yen"] == "9840000000"
    # インハウス: 11 + 7 = 18 (2020); 3.8 + 3.5 + 10.7 = 18.0 (2019)
    assert by_key[("2020", "inhouse")]["computed_yen"] == "1800000000"
    assert by_key[("2019", "inhouse")]["computed_yen"] == "1800000000"


def test_budget_lines_columns_and_relisting(seed_store: Path) -> None:
    result = rows(seed_store, "budget-lines")
    assert list(result[0]) == ["project", "fiscal_year", "route", "line", "amount_yen", "relisted"]
    assert len(result) == 25  # 14 lines of 令和2年度 + 11 of 平成31年度 with a figure
    statuses = {(r["fiscal_year"], r["line"], r["relisted"]) for r in result}
    assert ("2020", "ゲノム医療実現推進プラットフォーム事業", "duplicate") in statuses
    assert ("2019", "革新的がん医療実用化研究事業", "portion") in statuses
    ncbn_2019 = next(
        r for r in result if r["fiscal_year"] == "2019" and r["line"].startswith("ナショナルセンターバイオバンク")
    )
    assert (ncbn_2019["route"], ncbn_2019["amount_yen"]) == ("inhouse", "1070000000")


def test_budget_lines_parameters_filter(seed_store: Path) -> None:
    only_2019_inhouse = rows(seed_store, "budget-lines", fiscal_year="2019", route="inhouse")
    assert {r["line"] for r in only_2019_inhouse} == {
        "ゲノム診断支援システム整備事業",
        "NCにおける治験・臨床研究推進事業",
        "ナショナルセンターバイオバンクネットワーク(NCBN)",
    }


def test_default_build_stays_under_a_minute(seed_build: tuple[Path, BuildReport]) -> None:
    """The bundled documents and curated data build, reasoner and checks included, in under 60 s (issue 10)."""
    _, report = seed_build
    assert 0 < report.seconds < 60
