"""What the command line prints: tables aligned for Japanese text, and the right formats for each kind of query.

Alignment is checked with the standard library's East Asian width table
(two columns for wide and fullwidth characters), not with the width function
the code uses, so the two must agree on what a terminal draws.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from pyoxigraph import RdfFormat, parse

from healthkg.cli.main import cli
from healthkg.queries.catalogue import catalogue

AMED = "https://w3id.org/healthkg/id/org-amed"


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def columns(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def separators(line: str) -> list[int]:
    """Display columns at which the cell separators `` | `` start (a row's trailing spaces are trimmed)."""
    line = line + " " if line.endswith(" |") else line
    found, position = [], 0
    for index, char in enumerate(line):
        if line.startswith(" | ", index):
            found.append(position)
        position += columns(char)
    return found


def assert_aligned(lines: list[str]) -> None:
    header, rule, *rows = lines
    expected = separators(header)
    assert expected and [p for p, c in enumerate(rule) if c == "+"] == [p + 1 for p in expected]
    for row in rows:
        assert separators(row) == expected, row


def test_table_aligns_japanese_text(seed_store: Path) -> None:
    result = invoke("query", "--name", "budget-lines", "--store", str(seed_store))
    assert result.exit_code == 0, result.output
    *lines, footer = result.stdout.splitlines()
    assert any(columns(line) > len(line) for line in lines[2:])  # rows with Japanese text, wider than their len
    assert_aligned(lines)
    assert footer == f"({len(lines) - 2} rows)"
    amounts = [line.split(" | ")[4] for line in lines[2:]]
    assert all(a == a.rjust(len(a)) and a.strip().isdigit() for a in amounts)  # numbers right-aligned


def test_audit_sections_are_aligned_tables(seed_store: Path) -> None:
    result = invoke("audit", "--store", str(seed_store))
    assert result.exit_code == 0, result.output
    sections = [s for s in result.stdout.split("\n\n") if s.strip()]
    tables = [s.splitlines()[1:] for s in sections if len(s.splitlines()) > 1]
    assert len(tables) >= 3
    for table in tables:
        assert all(line.startswith("  ") for line in table)
        assert_aligned([line[2:] for line in table])


def test_queries_lists_each_named_query_once_in_a_table() -> None:
    result = invoke("queries")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert_aligned(lines)
    names = [line.split(" | ")[0].strip() for line in lines[2:]]
    assert names == list(catalogue())
    budget_lines = next(line for line in lines if line.startswith("budget-lines "))
    assert "fiscal_year:integer" in budget_lines and "SELECT" in budget_lines


@pytest.mark.parametrize("fmt", ["csv", "tsv", "table", "json"])
def test_row_formats_on_a_graph_query_are_a_clear_error(seed_store: Path, fmt: str) -> None:
    result = invoke("query", "--name", "describe", "--param", f"iri={AMED}", "--format", fmt,
                    "--store", str(seed_store))
    assert result.exit_code != 0
    assert result.stdout == ""  # no N-Triples passed off as CSV
    message = result.stderr
    assert message.startswith("error: describe is a CONSTRUCT query") and f"--format {fmt}" in message
    assert "turtle" in message and "ntriples" in message


def test_graph_formats_on_a_row_query_are_a_clear_error(seed_store: Path) -> None:
    result = invoke("query", "--name", "budget-lines", "--format", "turtle", "--store", str(seed_store))
    assert result.exit_code != 0 and result.stdout == ""
    assert "SELECT" in result.stderr and "csv" in result.stderr


def test_graph_query_formats_hold_the_same_graph(seed_store: Path) -> None:
    outputs = {}
    for fmt in ("ntriples", "turtle", "jsonld", "rdfxml"):
        result = invoke("query", "--name", "describe", "--param", f"iri={AMED}", "--format", fmt,
                        "--store", str(seed_store))
        assert result.exit_code == 0, result.output
        outputs[fmt] = result.stdout_bytes
    def triples(fmt: str, data: bytes) -> set[str]:
        return {str(t) for t in parse(data, format=fmt)}

    reference = triples(RdfFormat.N_TRIPLES, outputs["ntriples"])
    assert len(reference) > 5 and not any("_:" in t for t in reference)
    for fmt, rdf_format in (("turtle", RdfFormat.TURTLE), ("jsonld", RdfFormat.JSON_LD),
                            ("rdfxml", RdfFormat.RDF_XML)):
        assert triples(rdf_format, outputs[fmt]) == reference, fmt
    assert b"@prefix hkg: <https://w3id.org/healthkg/ontology#>" in outputs["turtle"]
    default = invoke("query", "--name", "describe", "--param", f"iri={AMED}", "--store", str(seed_store))
    assert default.stdout_bytes == outputs["turtle"]  # a graph prints as Turtle unless asked otherwise
