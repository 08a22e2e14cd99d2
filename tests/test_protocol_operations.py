"""Operations: /healthz, Prometheus /metrics, JSON access logs, CORS, error logging and reload of a new build."""

from __future__ import annotations

import http.client
import json
import logging
import re
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, serialize

from healthkg.engine.store import BuildInfo, open_store, read_info, write_store
from healthkg.server.app import create_app


def sparql_get(
    http_client, server, query: str, headers: dict[str, str] | None = None
) -> tuple[int, http.client.HTTPMessage, bytes]:
    return http_client.request(f"{server.sparql}?{urlencode({'query': query})}", headers=headers)


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def access_lines():
    handler = Lines()
    logger = logging.getLogger("healthkg.access")
    logger.addHandler(handler)
    yield handler.records
    logger.removeHandler(handler)


def test_healthz_reports_the_served_build(live_server, seed_store: Path, http_client) -> None:
    status, headers, body = http_client.request(f"{live_server.url}/healthz")
    assert status == 200 and headers["Content-Type"] == "application/json"
    health = json.loads(body)
    assert health["status"] == "ok"
    assert health["version"].startswith(read_info(seed_store).version)


def _samples(text: str) -> dict[str, float]:
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return samples


def test_metrics_count_requests_by_endpoint_and_status(seed_store: Path, serve_app, http_client) -> None:
    """Prometheus text format 0.0.4: counters per endpoint/method/status, cumulative latency buckets."""
    # One worker: the result cache is each worker's own, and the counts below include its hits.
    server = serve_app({"STORE_PATH": str(seed_store), "ACCESS_LOG": False, "WORKERS": 1})
    for _ in range(3):
        sparql_get(http_client, server, "ASK { ?s ?p ?o }")
    sparql_get(http_client, server, "ASK {")
    http_client.request(f"{server.url}/no-such-page")
    time.sleep(0.2)  # latency is recorded when the WSGI server closes the response
    status, headers, body = http_client.request(f"{server.url}/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = _samples(body.decode())
    assert samples['healthkg_http_requests_total{endpoint="/sparql",method="GET",status="200"}'] == 3
    assert samples['healthkg_http_requests_total{endpoint="/sparql",method="GET",status="400"}'] == 1
    assert samples['healthkg_http_requests_total{endpoint="unmatched",method="GET",status="404"}'] == 1
    prefix = 'healthkg_http_request_duration_seconds_bucket{endpoint="/sparql"'
    buckets = [(k, v) for k, v in samples.items() if k.startswith(prefix)]
    counts = [v for _, v in buckets]
    assert counts == sorted(counts) and counts[-1] == 4
    assert buckets[-1][0].endswith('le="+Inf"}')
    assert samples['healthkg_http_request_duration_seconds_count{endpoint="/sparql"}'] == 4
    assert samples["healthkg_result_cache_hits_total"] == 2  # the first ASK and the malformed one missed
    assert samples["healthkg_result_cache_misses_total"] == 2
    assert "# TYPE healthkg_query_timeouts_total counter" in body.decode()


def test_cache_hits_are_logged_counted_and_cors_annotated_like_any_answer(seed_store: Path, serve_app,
                                                                          http_client) -> None:
    server = serve_app({"STORE_PATH": str(seed_store), "ACCESS_LOG": True, "MAX_ROWS": 2, "WORKERS": 1,
                        "CORS_ORIGINS": "https://a.example, https://b.example"})
    url = f"{server.sparql}?{urlencode({'query': 'SELECT ?s WHERE { ?s a ?c } ORDER BY ?s'})}"
    origin = {"Origin": "https://b.example", "User-Agent": "healthkg-test-cache"}
    first, second = (http_client.request(url, headers=origin) for _ in range(2))
    assert first[0] == second[0] == 200 and first[2] == second[2]
    for _, headers, _ in (first, second):
        assert headers["Access-Control-Allow-Origin"] == "https://b.example"
        assert {"Accept", "Origin"} <= {v.strip() for v in headers["Vary"].split(",")}
        assert headers["Healthkg-Truncated"] == "max-rows=2"
    entries = _access_entries(server, "healthkg-test-cache", 2)
    assert [entry["cache"] for entry in entries] == ["miss", "hit"]
    metrics = _samples(http_client.request(f"{server.url}/metrics")[2].decode())
    assert metrics['healthkg_http_requests_total{endpoint="/sparql",method="GET",status="200"}'] == 2
    assert metrics["healthkg_result_cache_hits_total"] == 1 and metrics["healthkg_result_cache_misses_total"] == 1


def _access_entries(server, agent: str, count: int) -> list[dict]:
    """The access-log entries of requests made with ``agent``, once ``count`` have been written (at most 5 s)."""
    deadline = time.monotonic() + 5
    while True:
        entries = []
        for line in server.output().splitlines():
            if line.startswith("{") and f'"agent": "{agent}"' in line:
                entries.append(json.loads(line))
        if len(entries) >= count or time.monotonic() > deadline:
            return entries
        time.sleep(0.05)


def test_access_log_has_one_json_line_per_request(live_server, http_client) -> None:
    sparql_get(http_client, live_server, "SELECT * WHERE { ?s ?p ?o } LIMIT 1", {"User-Agent": "healthkg-test"})
    sparql_get(http_client, live_server, "SELECT", {"User-Agent": "healthkg-test"})
    entries = _access_entries(live_server, "healthkg-test", 2)
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("GET", "/sparql", 200),
        ("GET", "/sparql", 400),
    ]
    assert all(e["agent"] == "healthkg-test" and e["duration_ms"] >= 0 and e["remote"] == "127.0.0.1" for e in entries)
    assert entries[0]["bytes"] > 0


def test_access_log_off_means_off(seed_store: Path, serve_app, http_client) -> None:
    server = serve_app({"STORE_PATH": str(seed_store), "ACCESS_LOG": False})
    for _ in range(5):  # evaluated, then from the result cache
        assert sparql_get(http_client, server, "ASK { ?s ?p ?o }", {"User-Agent": "healthkg-test-quiet"})[0] == 200
    time.sleep(0.2)
    assert "healthkg-test-quiet" not in server.output()
    metrics = http_client.request(f"{server.url}/metrics")[2].decode()
    assert 'healthkg_http_requests_total{endpoint="/sparql",method="GET",status="200"} 5' in metrics


def test_access_log_off_means_off_even_when_the_logger_has_handlers(
    seed_store: Path, access_lines, caplog: pytest.LogCaptureFixture
) -> None:
    """ACCESS_LOG is the app's: another app in the process having switched the logger on must not matter."""
    caplog.set_level(logging.INFO, logger="healthkg.access")  # as an app with ACCESS_LOG on leaves it
    app = create_app({"STORE_PATH": str(seed_store), "ACCESS_LOG": False, "ISOLATION": "thread"})
    client = app.test_client()
    for _ in range(3):
        response = client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"})
        assert response.status_code == 200
        response.close()  # the access log is written when the response is closed
    assert access_lines == [] and not caplog.records
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'healthkg_http_requests_total{endpoint="/sparql",method="GET",status="200"} 3' in metrics


def test_client_errors_are_not_logged_with_a_trace_but_server_errors_are(
    seed_store: Path, serve_app, http_client
) -> None:
    """A 400 leaves no error record; a 500 (here: a failing SERVICE call) is logged with its traceback."""
    server = serve_app({"STORE_PATH": str(seed_store), "ACCESS_LOG": False,
                        "SERVICE_ENDPOINTS": ["http://127.0.0.1:9/sparql"]})
    assert sparql_get(http_client, server, "SELECT WHERE")[0] == 400
    time.sleep(0.2)
    assert "ERROR" not in server.output() and "Traceback" not in server.output()
    status, _, body = sparql_get(
        http_client, server, "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    )
    assert status == 500 and b"internal server error" in body
    time.sleep(0.2)
    output = server.output()
    assert output.count("[ERROR] healthkg.server: internal error") == 1 and "Traceback" in output


def test_cors_is_on_for_reads_by_default(live_server, http_client) -> None:
    """Fetch standard CORS: simple requests get Access-Control-Allow-Origin; preflights are answered."""
    status, headers, _ = http_client.request(
        f"{live_server.sparql}?{urlencode({'query': 'ASK {}'})}", headers={"Origin": "https://tools.example"}
    )
    assert status == 200 and headers["Access-Control-Allow-Origin"] == "*"
    assert "Healthkg-Truncated" in headers["Access-Control-Expose-Headers"]
    status, headers, _ = http_client.request(
        live_server.sparql,
        "OPTIONS",
        headers={
            "Origin": "https://tools.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type, Authorization",
        },
    )
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in headers["Access-Control-Allow-Methods"] and "PUT" not in headers["Access-Control-Allow-Methods"]
    assert headers["Access-Control-Allow-Headers"] == "Content-Type"


@pytest.mark.parametrize(
    ("origins", "origin", "allowed"),
    [
        ("", "https://tools.example", None),
        ("https://a.example, https://tools.example", "https://tools.example", "https://tools.example"),
        ("https://a.example", "https://tools.example", None),
    ],
)
def test_cors_is_configurable(
    seed_store: Path, serve_app, origins: str, origin: str, allowed: str | None, http_client
) -> None:
    server = serve_app({"STORE_PATH": str(seed_store), "CORS_ORIGINS": origins, "ACCESS_LOG": False})
    _, headers, _ = http_client.request(f"{server.sparql}?{urlencode({'query': 'ASK {}'})}", headers={"Origin": origin})
    assert headers["Access-Control-Allow-Origin"] == allowed
    if allowed:
        assert "Origin" in headers["Vary"]


def _nquads(store_path: Path, extra: list[Quad]) -> bytes:
    quads = list(open_store(store_path).quads_for_pattern(None, None, None, None)) + extra
    return serialize(quads, format=RdfFormat.N_QUADS) or b""


def test_new_build_is_swapped_in_without_dropping_requests(
    seed_store: Path, tmp_path: Path, serve_app, http_client
) -> None:
    """A build written into the served path (the same atomic swap `healthkg build` does) replaces the graph live."""
    served = tmp_path / "store"
    info = read_info(seed_store)
    write_store(served, _nquads(seed_store, []), info)
    server = serve_app({"STORE_PATH": str(served), "RELOAD_INTERVAL": 0.1, "ACCESS_LOG": False})
    marker = Quad(
        NamedNode("http://example.org/reloaded"),
        NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
        Literal("再読込", language="ja"),
        NamedNode("http://example.org/graph/new"),
    )
    statuses: list[int] = []
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            statuses.append(
                sparql_get(
                    http_client, server, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", {"Cache-Control": "no-cache"}
                )[0]
            )

    workers = [threading.Thread(target=hammer) for _ in range(3)]
    for worker in workers:
        worker.start()
    try:
        time.sleep(0.3)
        new_info = BuildInfo(
            built_at=info.built_at, version="reloaded0000", graphs={**info.graphs, marker.graph_name.value: 1}
        )
        write_store(served, _nquads(seed_store, [marker]), new_info)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if json.loads(http_client.request(f"{server.url}/healthz")[2])["version"].startswith("reloaded0000"):
                break
            time.sleep(0.1)
        time.sleep(0.3)
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=10)
    assert json.loads(http_client.request(f"{server.url}/healthz")[2])["version"].startswith("reloaded0000")
    assert len(statuses) > 10 and set(statuses) == {200}
    status, _, body = sparql_get(
        http_client, server, 'ASK { ?s ?p "再読込"@ja }', {"Accept": "application/sparql-results+json"}
    )
    assert status == 200 and json.loads(body)["boolean"] is True
    sizes = re.findall(rb"void:triples (\d+)", http_client.request(server.sparql)[2])
    assert sizes, "service description lists graph sizes"
