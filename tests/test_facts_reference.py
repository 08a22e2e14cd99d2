"""The reference facts file becomes the curated file reproducibly, and no row of it is silently lost."""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest
from click.testing import CliRunner
from pyoxigraph import RdfFormat, Store

from healthkg.checks.audit import audit_store
from healthkg.cli.main import cli
from healthkg.cli.pipeline import BuildReport
from healthkg.loaders.facts import FactRow, FactsFileError, load_facts, read_facts
from healthkg.loaders.facts_reference import (
    Decision,
    derive_rows,
    import_reference,
    read_decisions,
    read_reference,
)

REFERENCE = Path("/work/shared/reference/facts.tsv")  # the curation's shared copy, where this machine has it
HEADER = "subject\tpredicate\tobject\tfiscal_year\tamount_yen\tsource_url\tquote\n"


def curated_text() -> str:
    return resources.files("healthkg.data").joinpath("curated/facts.tsv").read_text(encoding="utf-8")


def as_reference(row: FactRow) -> FactRow:
    """A curated row with its derived columns cleared: what the reference file says."""
    return replace(row, subject_kind="", unit="", stage="", project="", decision="")


def derive_one(line: str, decisions: list[Decision] | None = None) -> FactRow:
    (row,) = derive_rows(read_reference(HEADER + line), decisions=decisions or [])
    return row


def test_the_curated_file_is_what_the_import_derives_from_its_reference_columns() -> None:
    """Reproducible without the reference file: deriving again from the curated rows changes nothing."""
    rows = read_facts()
    assert [(r.subject_kind, r.unit, r.stage, r.project, r.decision) for r in derive_rows(map(as_reference, rows))] == [
        (r.subject_kind, r.unit, r.stage, r.project, r.decision) for r in rows
    ]


def test_the_curated_file_names_the_reference_it_was_written_from() -> None:
    text = curated_text()
    match = re.search(r"\((\d+) rows, sha256 ([0-9a-f]{64})\)", text)
    assert match, "the header records the reference file's row count and digest"
    assert int(match.group(1)) == len(read_facts()) >= 603
    if REFERENCE.is_file():  # the shared reference on a curation machine: the committed file is up to date
        reference = REFERENCE.read_text(encoding="utf-8")
        assert match.group(2) == hashlib.sha256(reference.encode("utf-8")).hexdigest(), "run healthkg facts-import"
        assert import_reference(reference, REFERENCE.name) == text


def test_no_reference_row_is_silently_lost(seed_build: tuple[Path, BuildReport]) -> None:
    rows = read_facts()
    load = load_facts()
    loaded = {row.line for row in load.loaded}
    skipped = {s.row.line for s in load.skipped}
    assert loaded.isdisjoint(skipped)
    assert loaded | skipped == {row.line for row in rows}
    assert all(s.reason for s in load.skipped)
    # the audit lists every skipped row, with its reason
    section = next(s for s in audit_store(seed_build[1].store) if s.title.startswith("Curated facts not loaded"))
    assert [(int(line), reason) for line, _, reason in section.rows] == [(s.row.line, s.reason) for s in load.skipped]


@pytest.mark.parametrize(
    "line, stage, unit",
    [
        ("X研究事業\tother\tFY2023 要求額 3,253,744千円 (request)\t2023\t3253744000\thttps://e.org/a\tq\n", "request", "千円"),
        ("X研究事業\tother\tFY2015 予算案 52億7000万円 (draft)\t2015\t5270000000\thttps://e.org/a\tq\n", "draft", "万円"),
        ("X研究事業\tbudget_fy\t予算額(案)(億円)\t2024\t3500000000\thttps://e.org/a\t35億円\n", "draft", "億円"),
        ("X研究事業\tbudget_fy\t前年度予算額(百万円)\t2022\t3399000000\thttps://e.org/a\tq\n", "initial", "百万円"),
        # a figure a draft-budget document gives for the year before is that year's enacted budget
        ("Xプロジェクト\tbudget_fy_amed\t厚生労働省計上分, 前年度 (R4予算案主要事項)\t2021\t10400000000\thttps://e.org/a\t"
         "(104億円)\n", "initial", "億円"),
        ("X研究事業\tother\t平成28年度第2次補正予算 出資金 550億円\t2016\t55000000000\thttps://e.org/a\tq\n",
         "supplementary", "億円"),
        ("X研究事業\tother\t事業期間 令和4年度~令和11年度\t2022\t\thttps://e.org/a\tq\n", "", ""),  # a note, no figure
    ],
)
def test_stage_and_unit_come_from_the_rows_own_words(line: str, stage: str, unit: str) -> None:
    row = derive_one(line)
    assert (row.stage, row.unit) == (stage, unit)


def test_a_pj_share_row_names_its_project_and_a_whole_figure_does_not() -> None:
    share = derive_one("X研究事業\tother\tFY2025 予算額 by PJ区分: 医薬品 2,824,811千円\t2025\t2824811000\thttps://e.org/a\tq\n")
    assert (share.project, share.stage, share.unit) == ("医薬品", "initial", "千円")
    whole = derive_one("X研究事業\tother\tFY2023 要求額 127,054千円, all in ゲノム・データ基盤 PJ区分\t2023\t127054000\t"
                       "https://e.org/a\tq\n")
    assert (whole.project, whole.stage) == ("", "request")


def test_subject_kind_comes_from_the_vocabulary_or_a_decision() -> None:
    assert derive_one("医薬品プロジェクト\tlabel_en\tX Project\t\t\thttps://e.org/a\tq\n").subject_kind == "project"
    assert derive_one("健康・医療戦略(第3期)\tlabel_en\tX\t\t\thttps://e.org/a\tq\n").subject_kind == "framework"
    assert derive_one("厚生労働省\tacronym\tMHLW\t\t\thttps://e.org/a\tq\n").subject_kind == "organisation"
    assert derive_one("未知の研究事業\tministry\t厚生労働省\t\t\thttps://e.org/a\tq\n").subject_kind == "program"
    decisions = [Decision("未知の研究事業", "*", "*", "*", "kind:namesake-program", "another scheme's program")]
    assert derive_one("未知の研究事業\tministry\t厚生労働省\t\t\thttps://e.org/a\tq\n", decisions).subject_kind == (
        "namesake-program")
    skip = [Decision("未知の研究事業", "successor_of", "*", "2015", "skip", "a partial transfer")]
    row = derive_one("未知の研究事業\tsuccessor_of\t旧事業\t2015\t\thttps://e.org/a\tq\n", skip)
    assert row.decision == "skip: a partial transfer"


def test_a_total_restated_with_its_route_is_loaded_once() -> None:
    rows = derive_rows(read_reference(
        HEADER
        + "医薬品プロジェクト\tbudget_fy\t総額(億円)\t2021\t38300000000\thttps://e.org/jga\t383億円\n"
        + "医薬品プロジェクト\tbudget_fy_total\tAMED対象経費+インハウス\t2021\t38300000000\thttps://e.org/jga\t383億円\n"
    ), decisions=[])
    assert rows[0].decision.startswith("skip: restates the figure of 医薬品プロジェクト budget_fy_total FY2021")
    assert rows[1].decision == ""
    load = load_facts(rows)
    assert [s.row.line for s in load.skipped] == [2] and [r.line for r in load.loaded] == [3]


def test_every_decision_of_the_curators_applies_to_some_reference_row() -> None:
    rows = read_facts()
    for decision in read_decisions():
        assert any(decision.applies(row) for row in rows), decision


def test_a_malformed_reference_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(FactsFileError, match=r"facts.tsv:3: fiscal_year or amount_yen is not a number"):
        read_reference(HEADER + "A事業\tministry\t厚生労働省\t\t\thttps://e.org/a\tq\nB事業\tbudget_fy\tx\tR2\t1\tu\tq\n")
    broken = tmp_path / "facts.tsv"
    broken.write_text(HEADER + "A事業\tministry\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["facts-import", str(broken), "--out", str(tmp_path / "out.tsv")])
    assert result.exit_code == 1 and "facts.tsv:2: expected 7 tab-separated columns" in result.output
    assert not (tmp_path / "out.tsv").exists()


def test_facts_import_writes_a_file_the_loader_reads(tmp_path: Path) -> None:
    reference = tmp_path / "facts.tsv"
    reference.write_text(HEADER + "X研究事業\tbudget_fy\t当初予算額(千円)\t2021\t1234000\thttps://e.org/a\t1,234\n",
                         encoding="utf-8")
    out = tmp_path / "curated.tsv"
    result = CliRunner().invoke(cli, ["facts-import", str(reference), "--out", str(out)])
    assert result.exit_code == 0, result.output
    (row,) = read_facts(out.read_text(encoding="utf-8"))
    assert (row.subject_kind, row.unit, row.stage, row.amount_yen) == ("program", "千円", "initial", Decimal(1234000))
    graph = load_facts([row]).graph
    store = Store()
    store.load(graph.serialize(format="nt", encoding="utf-8"), format=RdfFormat.N_TRIPLES)
    assert len(store) > 10
