"""The endpoint's building blocks without a server: Accept parsing, query shapes, result writers."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from pyoxigraph import (
    BlankNode,
    Literal,
    NamedNode,
    Quad,
    QueryResultsFormat,
    Store,
    parse_query_results,
)

from healthkg.engine.formats import GRAPH_FORMATS, RESULT_FORMATS, by_media_type
from healthkg.engine.query_form import lex, shape, template_of
from healthkg.engine.results import SolutionsWriter
from healthkg.server.negotiation import AcceptHeaderError, negotiate, parse_accept

XSD = "http://www.w3.org/2001/XMLSchema#"


def pick(header: str | None, formats: tuple = RESULT_FORMATS) -> str | None:
    chosen = negotiate(parse_accept(header), formats)
    return chosen.name if chosen else None


@pytest.mark.parametrize(("header", "expected"), [
    (None, "json"),
    ("", "json"),
    ("*/*", "json"),
    ("text/csv", "csv"),
    ("text/csv;q=0.5, text/tab-separated-values", "tsv"),
    ("text/csv;q=0.5, text/tab-separated-values;q=0.4", "csv"),
    ("application/sparql-results+xml;q=0.9, */*;q=0.1", "xml"),
    ("text/*", "csv"),
    ("text/csv;q=0, */*", "json"),
    ("application/json", "json"),
    ("text/xml", "xml"),
    ("application/sparql-results+json;charset=utf-8", "json"),
    ("text/turtle", None),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "xml"),
])
def test_accept_picks_result_format_by_quality_then_server_preference(header: str | None, expected: str | None) -> None:
    """RFC 9110 §12.5.1: the most specific matching range gives a format its quality; q=0 excludes."""
    assert pick(header) == expected


@pytest.mark.parametrize(("header", "expected"), [
    (None, "turtle"),
    ("application/ld+json", "jsonld"),
    ("application/n-triples, text/turtle;q=0.9", "ntriples"),
    ("application/rdf+xml", "rdfxml"),
    ("application/n-quads", "nquads"),
    ("application/trig", "trig"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "turtle"),
    ("application/sparql-results+json", None),
])
def test_accept_picks_graph_format(header: str | None, expected: str | None) -> None:
    assert pick(header, GRAPH_FORMATS) == expected


@pytest.mark.parametrize("header", ["text", "*/csv", "text/csv;q=high", "text/csv;q=2"])
def test_unreadable_accept_header_is_an_error(header: str) -> None:
    with pytest.raises(AcceptHeaderError):
        parse_accept(header)


def test_media_type_lookup_ignores_parameters_and_case() -> None:
    assert by_media_type("Text/Turtle; charset=UTF-8").name == "turtle"  # type: ignore[union-attr]
    assert by_media_type("application/x-unknown") is None


@pytest.mark.parametrize(("text", "form", "dataset", "service"), [
    ("SELECT * WHERE { ?s ?p ?o }", "SELECT", False, False),
    ("# SELECT in a comment\nPREFIX ex: <http://e/#>\nBASE <http://b/>\nconstruct { ?s ex:p 'FROM' } WHERE {}",
     "CONSTRUCT", False, False),
    ("PREFIX : <http://e/> ASK FROM <http://g/> { ?s :from ?o }", "ASK", True, False),
    ("SELECT ?from WHERE { ?s <http://e/FROM> ?from }", "SELECT", False, False),
    ('DESCRIBE ?x WHERE { SERVICE <http://127.0.0.1/> { ?x ?p """SERVICE""" } }', "DESCRIBE", False, True),
    ("INSERT DATA { <http://a> <http://b> 'SELECT' }", "INSERT", False, False),
    ("nonsense", None, False, False),
])
def test_query_shape_reads_keywords_outside_comments_strings_and_iris(
        text: str, form: str | None, dataset: bool, service: bool) -> None:
    found = shape(text)
    assert (found.form, found.dataset_clause, found.service) == (form, dataset, service)


def test_query_shape_collects_prologue_prefixes() -> None:
    assert shape("PREFIX ex: <http://e/#> PREFIX : <http://d/> SELECT * {}").prefixes == {
        "ex": "http://e/#", "": "http://d/"}


SHIPPED_QUERIES = sorted(p for folder in ("queries", "server", "bench/queries")
                         for p in (Path(__file__).parent.parent / folder).rglob("*.rq"))
AWKWARD_TEXTS = [
    r"""SELECT * { ?s <http://e/p#frag> '# not a comment' . ?s ?p "<not-an-iri>" } # <http://x> 'y'""",
    r"""SELECT * { ?s ex:a\'b' ?o . FILTER(?a<?b && ?c>?d) } LIMIT 1""",
    "ASK { ?s ?p '''it's \\''' a\nlong \"one\"''' . ?s ?p \"\"\"x\"\"\"}",
    "SELECT ?x{?x<http://e/p>'v'@ja}",
    "PREFIX p: <http://e/> SELECT * FROM <http://g/> { SERVICE <http://s/> { ?s p:x 'SERVICE' } }",
    # Escapes in prefixed names and IRIs: each of these once hid the SERVICE or FROM after it.
    "PREFIX ex: <http://e/>\nSELECT * WHERE { ?s ex:a\\'b ?o . SERVICE <http://127.0.0.1:9/> { ?x ?y \"z\" } }",
    "SELECT (ex:a\\'b AS ?c) FROM <http://g/> WHERE { ?s ?p \"z\" }",
    "SELECT * { ?s ex:a\\#b ?o . SERVICE <http://s/> { ?s ?p ?o } }",
    "SELECT * { <http://e/\\u0041#x> ?p ?o . SERVICE <http://s/> { ?s ?p ?o } }",
]
HIDDEN_SERVICE_OR_FROM = AWKWARD_TEXTS[-4:]


@pytest.mark.parametrize("text", [p.read_text("utf-8") for p in SHIPPED_QUERIES] + AWKWARD_TEXTS)
def test_the_template_scan_finds_the_tokenisers_comments_strings_and_iris(text: str) -> None:
    """A new text's template (and the form, FROM and SERVICE read from it) comes from one scan for
    comments, strings and IRIs alone; it must find exactly the tokeniser's, or two queries could
    share a template without sharing their structure."""
    tokens = list(lex(text))
    placeholders = ["«…»" if kind == "string" else "<…>" for kind, value in tokens if kind in ("string", "iri")]
    assert re.findall(r"«…»|<…>", template_of(text)) == placeholders
    words = [value.upper() for kind, value in tokens if kind == "word"]
    found = shape(text)
    assert (found.dataset_clause, found.service) == ("FROM" in words, "SERVICE" in words)
    assert found.form in (None, *(w for w in words if w in ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE")))


@pytest.mark.parametrize("text", HIDDEN_SERVICE_OR_FROM)
def test_escaped_quotes_and_hashes_hide_neither_service_nor_from(text: str) -> None:
    """SERVICE is refused unless allowed (it makes the server fetch URLs), and FROM turns off the
    union default graph: neither may be missed for an escape that looks like a string or comment."""
    found = shape(text)
    assert (found.form, found.service or found.dataset_clause) == ("SELECT", True)


def test_templates_replace_iris_and_strings_but_keep_structure() -> None:
    one = shape('SELECT ?l WHERE { <http://e/a> ?p "x" } # comment')
    assert one.template == shape('SELECT ?l  WHERE {<http://e/b> ?p "y"}').template
    assert one.template != shape('SELECT ?l WHERE { <http://e/a> ?p ?o }').template
    assert one.template != shape('SELECT ?l WHERE { ?s ?p "x" } LIMIT 1').template


def test_a_shape_from_a_shared_template_keeps_its_own_prefixes() -> None:
    one = shape("PREFIX ex: <http://e/one#> SELECT * { ?s ex:p <http://e/a> }")
    other = shape("PREFIX ex: <http://e/two#> SELECT * { ?s ex:p <http://e/b> }")
    assert one.template == other.template and one.form == other.form == "SELECT"
    assert (one.prefixes, other.prefixes) == ({"ex": "http://e/one#"}, {"ex": "http://e/two#"})

TRICKY = [
    Literal("健康・医療戦略", language="ja"),
    Literal('comma, "quote" and\nnewline\r\tand tab'),
    Literal("2020", datatype=NamedNode(XSD + "gYear")),
    Literal("<b>&amp;</b>"),
    NamedNode("http://example.org/a?b=c&d=e"),
    BlankNode("b0"),
]


@pytest.fixture(scope="module")
def tricky_store() -> Store:
    store = Store()
    for index, value in enumerate(TRICKY):
        store.add(Quad(NamedNode(f"http://example.org/s{index}"), NamedNode("http://example.org/p"), value))
    return store


QUERY = "SELECT ?s ?o ?unbound WHERE { ?s <http://example.org/p> ?o OPTIONAL { ?s <http://nothing> ?unbound } } ORDER BY ?s"


def written(store: Store, fmt: str, max_rows: int | None = None) -> tuple[bytes, bool]:
    results = store.query(QUERY)
    writer = SolutionsWriter(fmt, max_rows)
    body = b"".join(writer.chunks([v.value for v in results.variables], results))
    return body, writer.truncated


@pytest.mark.parametrize("fmt", ["json", "xml", "tsv"])
def test_writers_agree_with_pyoxigraph_parsers(tricky_store: Store, fmt: str) -> None:
    """Our streamed JSON, XML and TSV parse back to the very solutions pyoxigraph serialises itself."""
    body, truncated = written(tricky_store, fmt)
    assert not truncated
    results_format = getattr(QueryResultsFormat, fmt.upper())
    ours = [tuple(solution) for solution in parse_query_results(body, format=results_format)]
    theirs = [tuple(solution) for solution in tricky_store.query(QUERY)]
    assert len(ours) == len(TRICKY)
    assert [tuple(str(t) for t in row if not isinstance(t, BlankNode)) for row in ours] == [
        tuple(str(t) for t in row if not isinstance(t, BlankNode)) for row in theirs
    ]


def test_json_writer_output_is_the_w3c_shape(tricky_store: Store) -> None:
    """SPARQL 1.1 Query Results JSON §3: head.vars, results.bindings, typed terms, unbound left out."""
    document = json.loads(written(tricky_store, "json")[0])
    assert document["head"]["vars"] == ["s", "o", "unbound"]
    objects = [row["o"] for row in document["results"]["bindings"]]
    assert {"type": "literal", "value": "健康・医療戦略", "xml:lang": "ja"} in objects
    assert {"type": "literal", "value": "2020", "datatype": XSD + "gYear"} in objects
    assert {"type": "uri", "value": "http://example.org/a?b=c&d=e"} in objects
    assert all("unbound" not in row for row in document["results"]["bindings"])


def test_csv_writer_escapes_per_rfc4180_and_drops_term_kinds(tricky_store: Store) -> None:
    """SPARQL 1.1 CSV §3: plain values, quoted when needed, CRLF line ends, empty for unbound."""
    body = written(tricky_store, "csv")[0].decode("utf-8")
    assert body.startswith("s,o,unbound\r\n")
    rows = list(csv.reader(io.StringIO(body, newline="")))
    values = [row[1] for row in rows[1:]]
    assert 'comma, "quote" and\nnewline\r\tand tab' in values
    assert "健康・医療戦略" in values and "2020" in values
    assert all(row[2] == "" for row in rows[1:])


def test_tsv_writer_keeps_terms_with_tabs_and_newlines_escaped(tricky_store: Store) -> None:
    """SPARQL 1.1 TSV §4: ?-prefixed header, terms in SPARQL syntax, one line per row."""
    lines = written(tricky_store, "tsv")[0].decode("utf-8").split("\n")
    assert lines[0] == "?s\t?o\t?unbound"
    assert len(lines) == len(TRICKY) + 2 and lines[-1] == ""
    assert all(line.count("\t") == 2 for line in lines[1:-1])
    assert any('\t"健康・医療戦略"@ja\t' in line for line in lines)
    assert any('\t"comma, \\"quote\\" and\\nnewline\\r\\tand tab"\t' in line for line in lines)


def test_row_cap_cuts_and_says_so(tricky_store: Store) -> None:
    body, truncated = written(tricky_store, "json", max_rows=2)
    assert truncated and len(json.loads(body)["results"]["bindings"]) == 2
    body, truncated = written(tricky_store, "json", max_rows=len(TRICKY))
    assert not truncated and len(json.loads(body)["results"]["bindings"]) == len(TRICKY)


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_boolean_results(fmt: str) -> None:
    """ASK answers: JSON §3.2.2 and XML §2.3.2 booleans; CSV/TSV as a bare word like Oxigraph."""
    writer = SolutionsWriter(fmt)
    true, false = writer.boolean(True), writer.boolean(False)
    if fmt == "json":
        assert json.loads(true) == {"head": {}, "boolean": True}
    elif fmt == "xml":
        assert bool(parse_query_results(true, format=QueryResultsFormat.XML)) is True
        assert bool(parse_query_results(false, format=QueryResultsFormat.XML)) is False
    else:
        assert true.strip() == b"true" and false.strip() == b"false"
