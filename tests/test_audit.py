"""`healthkg audit`: totals, repairs, unknown ministries, disagreements, skipped sources (the build prints the same summary)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from pyoxigraph import RdfFormat, Store

from healthkg.checks.audit import audit_store
from healthkg.cli.main import cli
from healthkg.cli.pipeline import BuildReport
from healthkg.loaders.triples import program_iri
from healthkg.ontology import HKG, ID


def sections(store: Store) -> dict[str, list[tuple[str, ...]]]:
    return {s.title: list(s.rows) for s in audit_store(store)}


def test_audit_command_prints_every_section(seed_store: Path) -> None:
    result = CliRunner().invoke(cli, ["audit", "--store", str(seed_store)])
    assert result.exit_code == 0, result.output
    for title in (
        "Declared vs computed totals",
        "Repaired conversion typos",
        "Programs without a ministry",
        "Unlinked mentions",
        "Where documents and curated sources disagree",
        "Curated facts not loaded",
        "Reference identifiers not mapped",
    ):
        assert f"== {title}" in result.output


def test_audit_of_the_seed(seed_build: tuple[Path, BuildReport]) -> None:
    found = sections(seed_build[1].store)
    totals = found["Declared vs computed totals per project, year and route"]
    assert len(totals) == 4 and all(row[-1] == "true" for row in totals)
    repairs = found["Repaired conversion typos"]
    assert any("NCBB" in row[3] and "NCBN" in row[4] for row in repairs)
    assert any("AMEDI" in row[3] and "AMEDI" not in row[4] for row in repairs)
    unknown = {row[0] for row in found["Programs without a ministry (no curated source gives it)"]}
    assert "ゲノム研究バイオバンク事業" in unknown  # no source gives it: left unknown
    assert "革新的がん医療実用化研究事業" not in unknown
    assert found["Where documents and curated sources disagree"] == []  # a share below the whole is no disagreement
    skipped = found["Reference identifiers not mapped"]
    assert any(row[0].startswith("MHLW") and row[3] == "unverified" for row in skipped)


def test_audit_reports_a_share_larger_than_the_whole(seed_build: tuple[Path, BuildReport]) -> None:
    store = Store()
    store.load(seed_build[1].nquads, format=RdfFormat.N_QUADS)
    budget = ID["program-budget/test/2020/small"]
    program = program_iri("認知症研究開発事業")
    extra = "\n".join(
        [
            f"<{budget}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{HKG.ProgramBudget}> .",
            f"<{budget}> <{HKG.budgetOfProgram}> <{program}> .",
            f'<{budget}> <{HKG.fiscalYearNumber}> "2020"^^<http://www.w3.org/2001/XMLSchema#integer> .',
            f'<{budget}> <{HKG.amountYen}> "500000000"^^<http://www.w3.org/2001/XMLSchema#decimal> .',
            f"<{budget}> <{HKG.budgetStatus}> <{ID['status-initial']}> .",
            f'<{budget}> <{HKG.precisionYen}> "1000"^^<http://www.w3.org/2001/XMLSchema#decimal> .',
            f"<{budget}> <http://www.w3.org/ns/prov#wasDerivedFrom> <https://example.org/test-source> .",
        ]
    )
    store.load(extra.encode(), format=RdfFormat.N_TRIPLES)
    rows = sections(store)["Where documents and curated sources disagree"]
    assert (
        "share larger than whole budget",
        "認知症研究開発事業",
        "2020",
        "800000000",
        "500000000",
        "https://example.org/test-source",
    ) in rows


def test_summary_lines_count_each_section(seed_build: tuple[Path, BuildReport]) -> None:
    summaries = [section.summary() for section in audit_store(seed_build[1].store)]
    assert "Declared vs computed totals per project, year and route: 4" in summaries
    assert any(s.startswith("Curated facts not loaded") and not s.endswith(": 0") for s in summaries)
