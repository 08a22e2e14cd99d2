"""SPARQL 1.1 Protocol at /sparql through a real server on 127.0.0.1, with real clients.

Expected answers come from the built store itself (queried in-process with
pyoxigraph), so these tests check the protocol layer, not the data.
Section numbers refer to https://www.w3.org/TR/sparql11-protocol/.
"""

from __future__ import annotations

import csv
import http.client
import io
import json
from pathlib import Path
from urllib.parse import urlencode

import pytest
import rdflib
from pyoxigraph import DefaultGraph, QueryResultsFormat, RdfFormat, Store, parse, parse_query_results
from rdflib.compare import isomorphic
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, POST, TURTLE, URLENCODED, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from healthkg.engine.store import open_store, read_info

RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
LABELS = f"SELECT ?s ?label WHERE {{ ?s <{RDFS_LABEL}> ?label FILTER(lang(?label) = 'ja') }} ORDER BY ?s ?label"
LABEL_GRAPH = (
    f"CONSTRUCT {{ ?s <{RDFS_LABEL}> ?label }} WHERE {{ ?s <{RDFS_LABEL}> ?label FILTER(lang(?label) = 'ja') }}"
)


@pytest.fixture(scope="module")
def store(seed_store: Path) -> Store:
    return open_store(seed_store)


@pytest.fixture(scope="module")
def ja_labels(store: Store) -> set[tuple[str, str]]:
    found = {(row["s"].value, row["label"].value) for row in store.query(LABELS, use_default_graph_as_union=True)}
    assert any(not label.isascii() for _, label in found)
    return found


def get(
    http_client,
    endpoint: str,
    params: list[tuple[str, str]] | dict[str, str],
    accept: str | None = None,
    method: str = "GET",
) -> tuple[int, http.client.HTTPMessage, bytes]:
    return http_client.request(f"{endpoint}?{urlencode(params)}", method, headers={"Accept": accept} if accept else {})


def solutions(body: bytes, fmt: QueryResultsFormat) -> set[tuple[str, str]]:
    if fmt == QueryResultsFormat.CSV:  # lossy: pyoxigraph does not read it back
        rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"), newline="")))
        return {(row["s"], row["label"]) for row in rows}
    return {(row["s"].value, row["label"].value) for row in parse_query_results(body, format=fmt)}


# §2.1.1, §2.1.2 with SPARQLWrapper


def test_get_query_answers_sparql_json_to_sparqlwrapper(live_server, ja_labels) -> None:
    """§2.1.1 query via GET; results in SPARQL 1.1 Query Results JSON."""
    client = SPARQLWrapper(live_server.sparql)
    client.setQuery(LABELS)
    client.setReturnFormat(JSON)
    rows = client.query().convert()["results"]["bindings"]
    assert {(r["s"]["value"], r["label"]["value"]) for r in rows} == ja_labels
    assert all(r["label"]["xml:lang"] == "ja" for r in rows)


def test_post_form_query_answers_xml_to_sparqlwrapper(live_server, ja_labels) -> None:
    """§2.1.2 query via URL-encoded POST; results in SPARQL Query Results XML."""
    client = SPARQLWrapper(live_server.sparql)
    client.setMethod(POST)
    client.setRequestMethod(URLENCODED)
    client.setQuery(LABELS)
    client.setReturnFormat(XML)
    document = client.query().convert()
    literals = {node.firstChild.data for node in document.getElementsByTagName("literal")}
    assert literals == {label for _, label in ja_labels}


def test_csv_to_sparqlwrapper(live_server, ja_labels) -> None:
    client = SPARQLWrapper(live_server.sparql)
    client.setQuery(LABELS)
    client.setReturnFormat(CSV)
    body = client.query().convert()
    rows = list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))
    assert rows[0] == ["s", "label"]
    assert {tuple(row) for row in rows[1:]} == ja_labels


def test_construct_to_sparqlwrapper(live_server, store) -> None:
    client = SPARQLWrapper(live_server.sparql)
    client.setQuery(LABEL_GRAPH)
    client.setReturnFormat(TURTLE)
    received = rdflib.Graph().parse(data=client.query().convert(), format="turtle")
    expected = rdflib.Graph().parse(
        data=b"".join(str(t).encode() + b" .\n" for t in store.query(LABEL_GRAPH, use_default_graph_as_union=True)),
        format="nt",
    )
    assert len(received) == len(expected) > 0
    assert isomorphic(received, expected)


def test_malformed_query_raises_query_bad_formed_in_sparqlwrapper(live_server) -> None:
    client = SPARQLWrapper(live_server.sparql)
    client.setQuery("SELECT ?s WHERE { ?s ?p }")
    client.setReturnFormat(JSON)
    with pytest.raises(QueryBadFormed):
        client.query()


def test_rdflib_sparqlstore_reads_the_endpoint(live_server, ja_labels) -> None:
    graph = rdflib.Graph(store=SPARQLStore(query_endpoint=live_server.sparql, returnFormat="json"))
    rows = {(str(row.s), str(row.label)) for row in graph.query(LABELS)}
    assert rows == ja_labels
    assert graph.query(f"ASK {{ ?s <{RDFS_LABEL}> ?o }}").askAnswer is True


# §2.1.3 query via POST directly


@pytest.mark.parametrize("charset", ["utf-8", "UTF-8", None])
def test_post_direct_query_in_its_charset(live_server, ja_labels, charset: str | None, http_client) -> None:
    """§2.1.3: the body is the query, in UTF-8 (declared or not)."""
    label = sorted(label for _, label in ja_labels if not label.isascii())[0]
    query = f'SELECT ?s ?label WHERE {{ ?s <{RDFS_LABEL}> ?label FILTER(str(?label) = "{label}") }}'
    content_type = "application/sparql-query" + (f"; charset={charset}" if charset else "")
    status, headers, body = http_client.request(
        live_server.sparql,
        "POST",
        query.encode(charset or "utf-8"),
        {"Content-Type": content_type, "Accept": "application/sparql-results+json"},
    )
    assert status == 200, body
    assert {label} == {row["label"]["value"] for row in json.loads(body)["results"]["bindings"]}


@pytest.mark.parametrize("charset", ["x-no-such", "shift_jis", "iso-8859-1", "utf-16", "utf-7", "rot13", "base64",
                                     "zip", "hex"])
def test_a_charset_other_than_utf8_is_415(live_server, http_client, charset: str) -> None:
    """The protocol's media types are UTF-8: any other charset, known to Python or not, is refused by name
    (a query or an update, form-encoded or not), never decoded."""
    for content_type in ("application/sparql-query", "application/x-www-form-urlencoded",
                         "application/sparql-update"):
        body = b"query=ASK%20%7B%7D" if content_type.endswith("urlencoded") else b"ASK {}"
        status, _, answer = http_client.request(
            live_server.sparql, "POST", body, {"Content-Type": f"{content_type}; charset={charset}"}
        )
        expected = 403 if content_type.endswith("update") else 415  # updates are off: refused before the body
        assert status == expected and (expected == 403 or charset.encode() in answer), (content_type, answer)


@pytest.mark.parametrize(("body", "content_type", "where"), [
    ("ASK { ?s ?p \"\xff\" }".encode("latin-1"), "application/sparql-query", b"query"),
    ("ASK { ?s ?p \"caf\xe9\" }".encode("utf-16"), "application/sparql-query", b"query"),
    (b"query=ASK%20%7B%20%3Fs%20%3Fp%20%22%FF%22%20%7D", "application/x-www-form-urlencoded", b"form"),
    (b"query=ASK {?s ?p \"\xe9\"}", "application/x-www-form-urlencoded", b"form"),
])
def test_bytes_that_are_not_utf8_are_400(live_server, http_client, body: bytes, content_type: str,
                                         where: bytes) -> None:
    status, _, answer = http_client.request(live_server.sparql, "POST", body, {"Content-Type": content_type})
    assert status == 400 and b"UTF-8" in answer and where in answer, answer


def test_a_query_string_that_is_not_utf8_is_400(live_server, http_client) -> None:
    status, _, answer = http_client.request(f"{live_server.sparql}?query=ASK%20%7B%20%3Fs%20%3Fp%20%22%FF%22%20%7D")
    assert status == 400 and b"UTF-8" in answer


# §2.1.4 the RDF dataset


def _count(http_client, live_server, params: list[tuple[str, str]]) -> int:
    status, _, body = get(http_client, live_server.sparql, params, "application/sparql-results+json")
    assert status == 200, body
    return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])


def test_default_graph_is_the_union_of_named_graphs(live_server, store, http_client) -> None:
    """Without a dataset in the request, the default graph is the union of all named graphs."""
    expected = len(list(store.query("SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }")))
    assert (
        _count(
            http_client,
            live_server,
            [("query", "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o { ?s ?p ?o } }")],
        )
        == expected
    )


def test_default_graph_uri_selects_the_default_graph(live_server, seed_store, http_client) -> None:
    """§2.1.4: default-graph-uri makes the named graph the query's default graph."""
    info = read_info(seed_store)
    graph, size = max(info.graphs.items(), key=lambda item: item[1])
    assert (
        _count(
            http_client,
            live_server,
            [("query", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"), ("default-graph-uri", graph)],
        )
        == size
    )


def test_named_graph_uri_limits_graph_patterns(live_server, seed_store, http_client) -> None:
    info = read_info(seed_store)
    graphs = sorted(g for g, n in info.graphs.items() if n)[:2]
    status, _, body = get(
        http_client,
        live_server.sparql,
        [("query", "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"), *[("named-graph-uri", g) for g in graphs]],
    )
    assert status == 200
    assert sorted(r["g"]["value"] for r in json.loads(body)["results"]["bindings"]) == graphs


def test_protocol_dataset_wins_over_from_and_from_is_honoured_alone(live_server, seed_store, http_client) -> None:
    """§2.1.4: a dataset in the protocol request overrides FROM; without one, FROM applies."""
    info = read_info(seed_store)
    (small, small_n), (large, large_n) = sorted(((g, n) for g, n in info.graphs.items() if n), key=lambda i: i[1])[:2]
    assert small_n != large_n
    query = f"SELECT (COUNT(*) AS ?n) FROM <{small}> WHERE {{ ?s ?p ?o }}"
    assert _count(http_client, live_server, [("query", query)]) == small_n
    assert _count(http_client, live_server, [("query", query), ("default-graph-uri", large)]) == large_n


# §2.1.7 failures


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ([("query", "ASK {}"), ("query", "ASK {}")], b"exactly one"),
        ([("query", "   ")], b"empty query"),
        ([("query", "SELECT ?s WHERE { ?s ?p }")], b"1:"),
        ([("update", "CLEAR ALL")], b"POST"),
        ([("query", "ASK {}"), ("default-graph-uri", "not an iri")], b"absolute IRI"),
        ([("default-graph-uri", "http://example.org/g")], b"missing query"),
        ([("query", "INSERT DATA { <http://a> <http://b> <http://c> }")], b"update"),
        ([("query", "SELECT * { SERVICE <http://127.0.0.1:9/x> { ?s ?p ?o } }")], b"SERVICE"),
    ],
)
def test_bad_get_requests_are_400_with_a_reason(live_server, params, fragment: bytes, http_client) -> None:
    status, headers, body = get(http_client, live_server.sparql, params)
    assert status == 400
    assert headers["Content-Type"].startswith("text/plain")
    assert fragment in body


def test_malformed_query_message_gives_the_parsers_position(live_server, http_client) -> None:
    status, _, body = get(http_client, live_server.sparql, {"query": "SELECT ?s\nWHERE { ?s ?p }"})
    assert status == 400
    assert b"malformed query" in body and b"2:" in body


@pytest.mark.parametrize(
    ("content_type", "body", "status"),
    [
        ("text/plain", b"ASK {}", 415),
        (None, b"ASK {}", 415),
        ("application/x-www-form-urlencoded", b"", 400),
        ("application/x-www-form-urlencoded", urlencode({"query": "ASK {}", "update": "CLEAR ALL"}).encode(), 400),
        ("application/sparql-query", b"", 400),
        ("application/sparql-query", b"\xff\xfe", 400),
    ],
)
def test_bad_post_requests(live_server, content_type: str | None, body: bytes, status: int, http_client) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    assert http_client.request(live_server.sparql, "POST", body, headers)[0] == status


# Content negotiation


@pytest.mark.parametrize(
    ("query", "accept", "media_type"),
    [
        (LABELS, None, "application/sparql-results+json"),
        ("ASK { ?s ?p ?o }", None, "application/sparql-results+json"),
        (LABEL_GRAPH, None, "text/turtle"),
        (f"DESCRIBE <{RDFS_LABEL}>", None, "text/turtle"),
        (LABELS, "text/csv;q=0.5, text/tab-separated-values", "text/tab-separated-values"),
        (LABELS, "application/sparql-results+xml;q=0.9, */*;q=0.1", "application/sparql-results+xml"),
        (LABEL_GRAPH, "application/n-triples;q=0.2, application/ld+json;q=0.8", "application/ld+json"),
        (LABEL_GRAPH, "text/*", "text/turtle"),
    ],
)
def test_negotiated_and_default_formats(
    live_server, query: str, accept: str | None, media_type: str, http_client
) -> None:
    status, headers, _ = get(http_client, live_server.sparql, {"query": query}, accept)
    assert status == 200
    assert headers["Content-Type"].split(";")[0] == media_type
    assert "Accept" in headers["Vary"]


@pytest.mark.parametrize(
    ("query", "accept"),
    [
        (LABELS, "text/turtle"),
        ("ASK {}", "application/rdf+xml, text/html"),
        (LABEL_GRAPH, "application/sparql-results+json"),
        (LABEL_GRAPH, "text/csv"),
    ],
)
def test_nothing_acceptable_is_406(live_server, query: str, accept: str, http_client) -> None:
    status, _, body = get(http_client, live_server.sparql, {"query": query}, accept)
    assert status == 406
    assert b"available as" in body


def test_unreadable_accept_is_400(live_server, http_client) -> None:
    assert get(http_client, live_server.sparql, {"query": "ASK {}"}, "text/csv;q=lots")[0] == 400


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [
        ("application/sparql-results+json", QueryResultsFormat.JSON),
        ("application/sparql-results+xml", QueryResultsFormat.XML),
        ("text/csv", QueryResultsFormat.CSV),
        ("text/tab-separated-values", QueryResultsFormat.TSV),
    ],
)
def test_japanese_round_trips_in_every_result_format(live_server, ja_labels, accept: str, fmt, http_client) -> None:
    status, headers, body = get(http_client, live_server.sparql, {"query": LABELS}, accept)
    assert status == 200
    assert "charset=utf-8" in headers["Content-Type"] or "+" in headers["Content-Type"]
    assert solutions(body, fmt) == ja_labels


@pytest.mark.parametrize(
    ("accept", "rdflib_format"),
    [
        ("text/turtle", "turtle"),
        ("application/n-triples", "nt"),
        ("application/rdf+xml", "xml"),
        ("application/ld+json", "json-ld"),
        ("text/n3", "n3"),
    ],
)
@pytest.mark.filterwarnings("ignore:.*(ConjunctiveGraph|default_context).*:DeprecationWarning")
def test_japanese_round_trips_in_every_graph_format(
    live_server, ja_labels, accept: str, rdflib_format: str, http_client
) -> None:
    """Each graph syntax, read back by rdflib's own parser."""
    status, headers, body = get(http_client, live_server.sparql, {"query": LABEL_GRAPH}, accept)
    assert status == 200
    assert headers["Content-Type"].split(";")[0] == accept
    graph = rdflib.Graph().parse(data=body, format=rdflib_format)
    assert {(str(s), str(o)) for s, _, o in graph} == ja_labels


@pytest.mark.parametrize(
    ("accept", "fmt"), [("application/n-quads", RdfFormat.N_QUADS), ("application/trig", RdfFormat.TRIG)]
)
def test_japanese_round_trips_in_dataset_formats(
    live_server, ja_labels, accept: str, fmt: RdfFormat, http_client
) -> None:
    """A graph result in a dataset syntax: the triples, in the default graph."""
    status, headers, body = get(http_client, live_server.sparql, {"query": LABEL_GRAPH}, accept)
    assert status == 200
    assert headers["Content-Type"].split(";")[0] == accept
    quads = list(parse(body, format=fmt))
    assert all(isinstance(q.graph_name, DefaultGraph) for q in quads)
    assert {(q.subject.value, q.object.value) for q in quads} == ja_labels


def test_csv_and_tsv_escape_special_characters(live_server, http_client) -> None:
    """SPARQL 1.1 CSV/TSV §3-4: quotes, commas, tabs and newlines survive the trip."""
    tricky = 'a "quoted", tabbed\tand\nbroken 値'
    query = f"SELECT ?v WHERE {{ VALUES ?v {{ {json.dumps(tricky, ensure_ascii=False)} }} }}"
    status, _, body = get(http_client, live_server.sparql, {"query": query}, "text/csv")
    assert status == 200
    assert list(csv.reader(io.StringIO(body.decode("utf-8"), newline=""))) == [["v"], [tricky]]
    status, _, body = get(http_client, live_server.sparql, {"query": query}, "text/tab-separated-values")
    assert status == 200 and body.count(b"\n") == 2
    rows = parse_query_results(body, format=QueryResultsFormat.TSV)
    assert [row["v"].value for row in rows] == [tricky]


@pytest.mark.parametrize("params", [{"query": LABELS}, {"query": LABEL_GRAPH}, {}, {"query": "SELECT ?s WHERE {"}])
def test_head_answers_like_get_without_a_body(live_server, params, http_client) -> None:
    got_status, got_headers, got_body = get(http_client, live_server.sparql, params)
    head_status, head_headers, head_body = get(http_client, live_server.sparql, params, method="HEAD")
    assert head_status == got_status
    assert head_headers["Content-Type"] == got_headers["Content-Type"]
    assert head_body == b"" and got_body != b""


BUDGET_GRAPH = """PREFIX hkg: <https://w3id.org/healthkg/ontology#>
CONSTRUCT { ?s ?p ?o } WHERE { ?s hkg:amountYen ?amount ; ?p ?o }"""


def test_construct_as_json_ld_is_compacted_with_the_ontology_context(live_server, seed_store, http_client) -> None:
    """Keys are the context's terms, the context is published and linked, and nothing is lost on the way."""
    status, headers, body = get(http_client, live_server.sparql, {"query": BUDGET_GRAPH}, "application/ld+json")
    assert status == 200
    assert headers["Content-Type"] == "application/ld+json; charset=utf-8"
    link = headers["Link"]
    assert 'rel="http://www.w3.org/ns/json-ld#context"' in link
    context_url = link[link.index("<") + 1 : link.index(">")]
    assert context_url.endswith("/ontology/context.jsonld")
    document = json.loads(body)
    keys = {key for node in document["@graph"] for key in node}
    assert {"label", "inProject", "amountYen"} <= keys
    context_status, context_headers, context_body = http_client.request(context_url)
    assert context_status == 200 and context_headers["Content-Type"] == "application/ld+json; charset=utf-8"
    assert json.loads(context_body)["@context"] == document["@context"]
    expected = Store()
    expected.load(
        get(http_client, live_server.sparql, {"query": BUDGET_GRAPH}, "application/n-triples")[2],
        format=RdfFormat.N_TRIPLES,
    )
    compacted = Store()
    compacted.load(body, format=RdfFormat.JSON_LD)
    assert set(compacted) == set(expected)


def test_rdf_xml_says_its_charset(live_server, http_client) -> None:
    status, headers, _ = get(http_client, live_server.sparql, {"query": LABEL_GRAPH}, "application/rdf+xml")
    assert status == 200 and headers["Content-Type"] == "application/rdf+xml; charset=utf-8"


@pytest.mark.parametrize(
    ("text", "status", "expected"),
    [
        ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", 400, b"SERVICE"),
        ("INSERT DATA { <http://e/s> <http://e/p> 1 }", 400, b"this is an update"),
        ("SELECT * WHERE { ?s ?p }", 400, b"malformed query"),
        ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 1", 200, b"<"),
    ],
)
def test_a_query_body_is_read_whole_and_refused_or_answered(
    live_server, http_client, text: str, status: int, expected: bytes
) -> None:
    got, headers, body = http_client.request(
        live_server.sparql, "POST", text.encode(), {"Content-Type": "application/sparql-query; charset=utf-8"}
    )
    assert got == status and expected in body, body


def _counted(http_client, url: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> int:
    status, _, answer = http_client.request(url, "POST" if body else "GET", body, headers)
    assert status == 200, answer
    return int(json.loads(answer)["results"]["bindings"][0]["n"]["value"])


def test_dataset_parameters_change_the_query_read(live_server, store: Store, http_client) -> None:
    """The same text with a default-graph-uri reads one graph."""
    text = 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER(?o != "認知症") }'
    graph = sorted(g.value for g in store.named_graphs())[0]
    plain = f"{live_server.sparql}?{urlencode({'query': text})}"
    whole = _counted(http_client, plain)
    one_graph = _counted(http_client, f"{plain}&{urlencode({'default-graph-uri': graph})}")
    assert 0 < one_graph < whole


def test_a_body_is_read_as_utf8(live_server, http_client) -> None:
    """UTF-8 by default; the same bytes declared as Latin-1 are refused, not read as mojibake."""
    text = 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER(CONTAINS(STR(?o), "認知症")) }'
    utf8 = {"Content-Type": "application/sparql-query", "Cache-Control": "no-cache"}
    assert _counted(http_client, live_server.sparql, text.encode(), utf8) > 0
    latin1 = {**utf8, "Content-Type": "application/sparql-query; charset=iso-8859-1"}
    assert http_client.request(live_server.sparql, "POST", text.encode(), latin1)[0] == 415

