"""The fast path of a query: cheap templates run inline, pyoxigraph writes their JSON, the lane skips Flask.

Each shortcut must be invisible to clients: the same bytes, headers, log lines,
metrics and errors as the full path through a worker and the Flask view.
"""

from __future__ import annotations

import io
import json
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from pyoxigraph import Literal, NamedNode, Quad, Store

from healthkg.engine.backends import Collected, Dataset, FormatChoice, LocalBackend
from healthkg.engine.formats import RESULT_FORMATS
from healthkg.engine.query_form import shape
from healthkg.engine.store import open_store
from healthkg.server.app import create_app
from healthkg.server.execution import INLINE_AFTER, QueryRunner
from healthkg.server.query_lane import QueryLane

JSON = next(f for f in RESULT_FORMATS if f.name == "json")
LABEL = "SELECT ?label WHERE {{ <{iri}> <http://www.w3.org/2000/01/rdf-schema#label> ?label }} ORDER BY ?label"
SPARQL_QUERY = {"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"}


def test_a_template_runs_inline_only_after_cheap_runs_and_leaves_at_once_when_slow() -> None:
    runner = QueryRunner(workers=2, buffer_bytes=1 << 20, inline_below=0.02)
    threads: list[str] = []
    slow = threading.Event()

    def task(sink: Collected, small: bool) -> bool:
        threads.append(threading.current_thread().name)
        if slow.is_set():
            started = time.thread_time()
            while time.thread_time() - started < 0.05:  # CPU, not waiting: the cost that counts
                pass
        sink.start(JSON)
        sink.write(b"{}")
        return False

    for _ in range(INLINE_AFTER):
        assert runner.run_if_cheap(task, "t") is None
        runner.run(task, 5.0, "t")
    assert all(name.startswith("healthkg-query-") for name in threads)
    here = threading.current_thread().name
    assert runner.run(task, 5.0, "t").body == b"{}" and threads[-1] == here
    slow.set()
    runner.run(task, 5.0, "t")  # inline, and too slow: the template goes back to the workers
    assert threads[-1] == here
    slow.clear()
    runner.run(task, 5.0, "t")
    assert threads[-1].startswith("healthkg-query-") and runner.run_if_cheap(task, "t") is None
    runner.run(task, 5.0, None)  # no template: never inline
    assert threads[-1].startswith("healthkg-query-")


def test_templates_replace_iris_and_strings_but_keep_structure() -> None:
    one = shape('SELECT ?l WHERE { <http://e/a> ?p "x" } # comment')
    assert one.template == shape('SELECT ?l  WHERE {<http://e/b> ?p "y"}').template
    assert one.template != shape('SELECT ?l WHERE { <http://e/a> ?p ?o }').template
    assert one.template != shape('SELECT ?l WHERE { ?s ?p "x" } LIMIT 1').template


def _stream(backend: LocalBackend, text: str, max_rows: int | None, small: bool) -> tuple[bytes, bool]:
    sink = Collected()
    truncated = backend.stream(text, Dataset(), FormatChoice(JSON, None), sink, max_rows, small)
    return b"".join(sink.chunks), truncated


def test_small_answers_written_by_pyoxigraph_are_the_same_bytes_and_keep_the_row_cap() -> None:
    store = Store()
    graph = NamedNode("http://example.org/g")
    for index, value in enumerate(['健康・医療 "戦略"\t\n', "x\\y", "\u0001"]):
        store.add(Quad(NamedNode(f"http://example.org/s{index}"), NamedNode("http://example.org/p"),
                       Literal(value, language="ja") if index == 0 else Literal(value), graph))
    store.add(Quad(NamedNode("http://example.org/s9"), NamedNode("http://example.org/n"), Literal(3), graph))
    backend = LocalBackend(store)
    for text in ("SELECT * WHERE { ?s ?p ?o } ORDER BY ?s", "SELECT ?nothing WHERE { ?s ?p ?o }",
                 "ASK { ?s ?p 3 }", "SELECT * WHERE { ?s <http://example.org/none> ?o }"):
        assert _stream(backend, text, 100, True) == _stream(backend, text, 100, False), text
    rows, truncated = _stream(backend, "SELECT * WHERE { ?s ?p ?o }", 2, True)
    assert truncated and len(json.loads(rows)["results"]["bindings"]) == 2



def test_answers_expected_small_are_not_written_row_by_row(monkeypatch: pytest.MonkeyPatch) -> None:
    import healthkg.engine.backends as backends

    class Refusing(backends.SolutionsWriter):
        def chunks(self, variables, solutions):  # type: ignore[no-untyped-def]
            raise AssertionError("the row-by-row writer was used")

    monkeypatch.setattr(backends, "SolutionsWriter", Refusing)
    store = Store()
    store.add(Quad(NamedNode("http://example.org/s"), NamedNode("http://example.org/p"), Literal("o")))
    body, truncated = _stream(LocalBackend(store), "SELECT * WHERE { ?s ?p ?o }", 100, True)
    assert not truncated and json.loads(body)["results"]["bindings"][0]["o"]["value"] == "o"
    with pytest.raises(AssertionError, match="row-by-row"):
        _stream(LocalBackend(store), "SELECT * WHERE { ?s ?p ?o }", 100, False)


def _respond_counter(app, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    lane = app.wsgi_app
    assert isinstance(lane, QueryLane)
    calls: list[int] = []
    respond = lane._respond

    def counted(*args, **kwargs):
        calls.append(1)
        return respond(*args, **kwargs)

    monkeypatch.setattr(lane, "_respond", counted)
    return calls


KEPT_HEADERS = ("Content-Type", "Content-Length", "Vary", "Access-Control-Allow-Origin")


def test_the_lane_answers_repeated_lookups_exactly_as_the_view_does(
        seed_store: Path, serve_app, http_client, labelled_programs: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    fast = create_app({"STORE_PATH": str(seed_store), "ACCESS_LOG": False})
    full = create_app({"STORE_PATH": str(seed_store), "ACCESS_LOG": False, "INLINE_QUERY_SECONDS": 0})
    answered_by_lane = _respond_counter(fast, monkeypatch)
    servers = serve_app(fast), serve_app(full)
    headers = {**SPARQL_QUERY, "Cache-Control": "no-cache", "Origin": "https://example.org"}
    for iri in labelled_programs:
        text = LABEL.format(iri=iri).encode()
        (status, got, body), (_, expected, expected_body) = (
            http_client.request(server.sparql, "POST", text, headers) for server in servers
        )
        assert status == 200 and body == expected_body and json.loads(body)["results"]["bindings"]
        assert [got[h] for h in KEPT_HEADERS] == [expected[h] for h in KEPT_HEADERS]
    assert len(answered_by_lane) == len(labelled_programs) - INLINE_AFTER  # the first runs measured the template
    assert fast.extensions["healthkg.runner"].costs.is_cheap(shape(LABEL.format(iri=labelled_programs[0])).template)
    assert not full.extensions["healthkg.runner"].costs.is_cheap(shape(LABEL.format(iri=labelled_programs[0])).template)


def test_cache_hits_in_the_lane_are_logged_counted_and_cors_annotated(
    seed_store: Path, serve_app, http_client, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app({"STORE_PATH": str(seed_store), "ACCESS_LOG": False})
    answered_by_lane = _respond_counter(app, monkeypatch)
    server = serve_app(app)
    url = f"{server.sparql}?{urlencode({'query': 'SELECT (COUNT(*) AS ?n) WHERE { ?s a ?c }'})}"
    first, second = (http_client.request(url, headers={"Origin": "https://example.org"}) for _ in range(2))
    assert first[0] == second[0] == 200 and first[2] == second[2]
    assert answered_by_lane == [1]  # the second, from the cache
    assert second[1]["Access-Control-Allow-Origin"] == "*" and "Accept" in second[1]["Vary"]
    time.sleep(0.2)  # metrics are recorded when the response is closed
    metrics = http_client.request(f"{server.url}/metrics")[2].decode()
    assert 'healthkg_http_requests_total{endpoint="/sparql",method="GET",status="200"} 2' in metrics
    assert "healthkg_result_cache_hits_total 1" in metrics and "healthkg_result_cache_misses_total 1" in metrics


@pytest.mark.parametrize(
    ("text", "status", "expected"),
    [
        ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", 400, b"SERVICE"),
        ("INSERT DATA { <http://e/s> <http://e/p> 1 }", 400, b"this is an update"),
        ("SELECT * WHERE { ?s ?p }", 400, b"malformed query"),
        ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 1", 200, b"<"),
    ],
)
def test_what_the_lane_does_not_take_reaches_the_view_with_its_body(
    live_server, http_client, text: str, status: int, expected: bytes
) -> None:
    got, headers, body = http_client.request(
        live_server.sparql, "POST", text.encode(), {"Content-Type": "application/sparql-query; charset=utf-8"}
    )
    assert got == status and expected in body, body


def test_the_result_cache_is_bounded_by_bytes_and_evicts_the_least_recent() -> None:
    from healthkg.server.result_cache import CachedAnswer, ResultCache

    cache = ResultCache(max_bytes=10, max_entry_bytes=6)
    for name, body in (("a", b"1234"), ("b", b"5678"), ("huge", b"1234567")):
        cache.put((name,), CachedAnswer(JSON, body, False))
    assert cache.get(("huge",)) is None and cache.size == 8  # over the entry limit: not kept
    assert cache.get(("a",)) is not None  # a is now the most recent
    cache.put(("c",), CachedAnswer(JSON, b"abcd", False))
    assert cache.get(("b",)) is None and cache.get(("a",)) and cache.get(("c",)) and cache.size == 8
    cache.put(("c",), CachedAnswer(JSON, b"ab", False))
    assert cache.size == 6
    assert (cache.hits, cache.misses) == (3, 2)


def test_a_cheap_query_with_a_dataset_or_another_charset_is_still_read_in_full(
    seed_store: Path, serve_app, http_client
) -> None:
    """The lane takes plain UTF-8 queries only; dataset parameters and charsets stay the view's."""
    server = serve_app(create_app({"STORE_PATH": str(seed_store), "ACCESS_LOG": False}))
    text = 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER(?o != "認知症") }'
    graph = next(
        g
        for g in LocalBackend(open_store(seed_store)).select(
            "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"
        )["results"]["bindings"]
    )["g"]["value"]

    def count(url: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> int:
        status, _, answer = http_client.request(url, "POST" if body else "GET", body, headers)
        assert status == 200, answer
        return int(json.loads(answer)["results"]["bindings"][0]["n"]["value"])

    plain = f"{server.sparql}?{urlencode({'query': text})}"
    whole = [count(plain) for _ in range(INLINE_AFTER + 2)][-1]
    one_graph = count(f"{plain}&{urlencode({'default-graph-uri': graph})}")
    assert 0 < one_graph < whole
    shift_jis = {"Content-Type": "application/sparql-query; charset=shift_jis", "Cache-Control": "no-cache"}
    assert count(server.sparql, text.encode("shift_jis"), shift_jis) == whole


def test_the_lane_reads_a_query_as_the_view_would_once_its_template_is_cheap(
    seed_store: Path, serve_app, http_client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Charset labels and raw UTF-8 in a URL: the lane either reads them as the view does or hands over."""
    app = create_app({"STORE_PATH": str(seed_store), "ACCESS_LOG": False})
    answered_by_lane = _respond_counter(app, monkeypatch)
    server = serve_app(app)
    text = 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER(CONTAINS(STR(?o), "認知症")) }'
    utf8 = {"Content-Type": "application/sparql-query", "Cache-Control": "no-cache"}

    def count(reply: tuple[int, object, bytes]) -> int:
        assert reply[0] == 200, reply[2]
        return int(json.loads(reply[2])["results"]["bindings"][0]["n"]["value"])

    counts = {count(http_client.request(server.sparql, "POST", text.encode(), utf8)) for _ in range(INLINE_AFTER + 1)}
    assert len(counts) == 1 and counts.pop() > 0 and answered_by_lane == [1]
    # The same bytes declared as Latin-1 are another query (its literal is mojibake): the view's to read.
    latin1 = {**utf8, "Content-Type": "application/sparql-query; charset=iso-8859-1"}
    assert count(http_client.request(server.sparql, "POST", text.encode(), latin1)) == 0
    assert answered_by_lane == [1]


@pytest.mark.parametrize(
    ("query_string", "taken"),
    [
        ("query=" + quote('SELECT * WHERE { ?s ?p "認知症" }'), True),
        (
            'query=SELECT * WHERE { ?s ?p "認知症" }'.encode().decode("latin-1"),
            True,
        ),  # raw UTF-8, as PEP 3333 passes it
        ("query=%FF", False),
        ("query=a&query=b", False),
        ("query=", False),
        ("query=ASK%7B%7D&default-graph-uri=http%3A%2F%2Fe%2Fg", False),
        ("", False),
    ],
)
def test_the_lane_reads_a_query_string_as_the_view_does_or_not_at_all(query_string: str, taken: bool) -> None:
    from werkzeug.wrappers import Request

    from healthkg.server.errors import HttpError
    from healthkg.server.protocol import read_operation
    from healthkg.server.query_lane import _plain_query

    environ = {
        "REQUEST_METHOD": "GET",
        "QUERY_STRING": query_string,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
    }
    lane = _plain_query(environ, b"")
    try:
        view = read_operation(Request(environ))
    except HttpError:
        view = None
    assert (lane is not None) == taken and (lane is None or lane == view)


def test_the_lane_keeps_the_row_cap_and_origin_lists_as_the_view_does(
    seed_store: Path, serve_app, http_client, labelled_programs: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = {
        "STORE_PATH": str(seed_store),
        "ACCESS_LOG": False,
        "MAX_ROWS": 2,
        "CORS_ORIGINS": "https://a.example, https://b.example",
    }
    fast, full = create_app(config), create_app({**config, "INLINE_QUERY_SECONDS": 0})
    answered_by_lane = _respond_counter(fast, monkeypatch)
    servers = serve_app(fast), serve_app(full)
    headers = {"Cache-Control": "no-cache", "Origin": "https://b.example"}
    for iri in labelled_programs[: INLINE_AFTER + 2]:
        url = "{}?" + urlencode({"query": f"SELECT ?p ?o WHERE {{ <{iri}> ?p ?o }} ORDER BY ?p ?o"})
        (status, got, body), (_, expected, expected_body) = (
            http_client.request(url.format(server.sparql), headers=headers) for server in servers
        )
        assert status == 200 and body == expected_body and len(json.loads(body)["results"]["bindings"]) == 2
        for name in (*KEPT_HEADERS, "Healthkg-Truncated"):
            assert got[name] == expected[name], name
        assert got["Healthkg-Truncated"] == "max-rows=2" and "Origin" in got["Vary"]
    assert len(answered_by_lane) == 2
