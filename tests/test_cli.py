"""The command line: build reports, named and ad-hoc queries, and clear errors on bad input."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import socket
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from healthkg.cli.main import cli
from healthkg.engine.store import read_info

SEED = Path(__file__).resolve().parent.parent / "data" / "documents"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


@pytest.fixture()
def built(seed_store: Path, tmp_path: Path) -> Path:
    """A private copy of the session's seed store, so a test may replace it."""
    store = tmp_path / "store"
    shutil.copytree(seed_store, store)
    return store


def test_query_named_csv_and_json(built: Path) -> None:
    code, output = run("query", "--name", "budget-reconciliation", "--store", str(built), "--format", "csv")
    assert code == 0, output
    table = list(csv.DictReader(io.StringIO(output)))
    assert table and all(row["consistent"] == "true" for row in table)
    code, output = run(
        "query", "--name", "budget-lines", "--param", "route=inhouse", "--store", str(built), "--format", "json"
    )
    assert code == 0, output
    bindings = json.loads(output)["results"]["bindings"]
    assert bindings and {b["route"]["value"] for b in bindings} == {"inhouse"}


def test_query_rejects_bad_parameter(built: Path) -> None:
    code, output = run("query", "--name", "budget-lines", "--param", "fiscal_year=twenty", "--store", str(built))
    assert code != 0
    assert "fiscal_year" in output and "integer" in output
    code, output = run("query", "--name", "budget-lines", "--param", "colour=red", "--store", str(built))
    assert code != 0 and "colour" in output


def test_query_names_an_entity_by_label_or_says_which_names_are_close(seed_store: Path) -> None:
    code, by_label = run("query", "--name", "budget-lines", "--param", "project=Health and Clinical Data Project",
                         "--param", "stage=initial", "--store", str(seed_store), "--format", "csv")
    assert code == 0, by_label
    code, by_iri = run("query", "--name", "budget-lines", "--param", "project=id:project-genome-data",
                       "--store", str(seed_store), "--format", "csv")
    assert code == 0 and by_label == by_iri and len(by_iri.splitlines()) == 15  # a header and the 14 FY2020 lines
    code, output = run("query", "--name", "budget-lines", "--param", "project=ゲノムデータ基板",
                       "--store", str(seed_store))
    assert code != 0 and output.startswith("error: project: 'ゲノムデータ基板' names no IntegratedProject")
    assert "closest: ゲノム・データ基盤プロジェクト <https://w3id.org/healthkg/id/project-genome-data>" in output


def test_malformed_query_file_names_position(built: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.rq"
    bad.write_text("#+ summary: broken\nSELECT ?x WHERE { ?x ?y }\n", encoding="utf-8")
    code, output = run("query", str(bad), "--store", str(built))
    assert code != 0
    assert "bad.rq" in output
    assert re.search(r"\b3:1\b", output)  # pyoxigraph's line:column of the error


def test_malformed_document_fails_and_keeps_previous_store(built: Path, tmp_path: Path) -> None:
    before = read_info(built)
    bad = tmp_path / "broken.md"
    bad.write_text(
        "# 1. 医薬品プロジェクト\n\n日本医療研究開発機構対象経費\n令和3年度予算額 2.0.1億円\n",
        encoding="utf-8",
    )
    code, output = run("build", "--documents", str(bad), "--store", str(built))
    assert code != 0
    assert f"{bad}:4" in output  # file and line of the bad figure
    assert "left unchanged" in output
    after = read_info(built)
    assert after.version == before.version and after.built_at == before.built_at


def test_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    code, output = run("query", "--name", "budget-lines", "--store", str(tmp_path / "nowhere"))
    assert code != 0 and "healthkg build" in output


def test_validate_passes_on_built_store(built: Path) -> None:
    code, output = run("validate", "--store", str(built))
    assert code == 0, output


def test_build_over_existing_store_reports_and_swaps_atomically(built: Path, tmp_path: Path) -> None:
    before = read_info(built)
    copy = tmp_path / "docs"
    shutil.copytree(SEED, copy)
    result = CliRunner().invoke(cli, ["build", "--documents", str(copy), "--store", str(built)])
    output = result.stdout
    assert result.exit_code == 0, result.output
    assert "documents read: 1" in output
    assert "graph/document/" in output
    assert "repaired" in output and ".md:" in output  # typo repairs are reported with file:line
    after = read_info(built)
    assert after.triples > 0 and after.built_at >= before.built_at
    # Same documents (a copy elsewhere), same code: the same version, whenever the build ran.
    assert after.version == before.version and f"(version {before.version})" in output
    # Each stage is reported on standard error as it ends, with its time; standard output stays the report.
    stages = re.findall(r"^✓ (.+) \((\d+\.\d) s\)$", result.stderr, re.MULTILINE)
    assert [name for name, _ in stages][:2] == ["reading 2020-08-04_cas_genome-data-platform-project.md",
                                                 "reading the ontology and reference data"]
    assert {"reasoning with HermiT", "running the quality checks", "writing the store"} <= {n for n, _ in stages}
    assert "✓" not in output
    # The store is a link to its build directory; nothing else is left beside it.
    leftovers = [p.name for p in built.parent.iterdir() if p.name.startswith(".") and p.name != os.readlink(built)]
    assert built.is_symlink() and leftovers == []


def test_ad_hoc_query_file_needs_no_header(built: Path, tmp_path: Path) -> None:
    plain = tmp_path / "plain.rq"
    plain.write_text(
        "PREFIX hkg: <https://w3id.org/healthkg/ontology#>\n"
        "SELECT (COUNT(*) AS ?n) WHERE { ?a a hkg:BudgetAllocation }\n",
        encoding="utf-8",
    )
    code, output = run("query", str(plain), "--store", str(built), "--format", "csv")
    assert code == 0, output
    assert int(output.splitlines()[1]) > 0


def test_unreachable_endpoint_is_a_clear_error() -> None:
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code, output = run("query", "--name", "budget-lines", "--endpoint", f"http://127.0.0.1:{port}/sparql")
    assert code != 0
    assert output.startswith("error:") and f"127.0.0.1:{port}" in output and "Traceback" not in output


def test_malformed_query_on_an_endpoint_names_the_position(live_server: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad.rq"
    bad.write_text("SELECT ?x WHERE { ?x ?y }\n", encoding="utf-8")
    code, output = run("query", str(bad), "--endpoint", live_server.sparql)
    assert code != 0
    assert "bad.rq" in output and re.search(r"\b\d+:\d+\b", output) and "Traceback" not in output


def test_build_warns_where_a_declared_total_does_not_add_up(tmp_path: Path) -> None:
    deck = tmp_path / "2021-01-01_mismatch.md"
    deck.write_text(
        "# 1. 医薬品プロジェクト\n\n日本医療研究開発機構対象経費\n令和3年度予算額 10億円\n\n"
        "- **甲事業**: 説明 予算額4億円\n- **乙事業**: 説明 予算額5億円\n",
        encoding="utf-8",
    )
    code, output = run("build", "--documents", str(deck), "--store", str(tmp_path / "store"))
    assert code == 0, output
    # lines 3-4 declare 10億円 (route heading, then the figure); the items add up to 9億円, beyond ±0.5億円
    # named by its path as given, like every other warning
    assert f"warning: {deck}:3: declared total 1000000000 yen" in output
    assert "add up to 900000000 yen" in output
