"""Limits: the per-query timeout, the row cap and the request size, on a real server on 127.0.0.1.

The slow queries run over a small synthetic store (3,000 triples) whose
cross product takes seconds to count, so a sub-second timeout bites while
the runaway evaluation stays short.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, serialize

from healthkg.engine.store import BuildInfo, write_store

TRIPLES = 3000
SLOW_COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"
SLOW_ROWS = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"
FAST = "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1"


def query(
    http_client, server, text: str, accept: str = "application/sparql-results+json"
) -> tuple[int, http.client.HTTPMessage, bytes]:
    return http_client.request(
        f"{server.sparql}?{urlencode({'query': text})}", headers={"Accept": accept, "Cache-Control": "no-cache"}
    )


@pytest.fixture(scope="module")
def synthetic_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("limits") / "store"
    graph = NamedNode("http://example.org/graph/synthetic")
    quads = [
        Quad(NamedNode(f"http://example.org/s{i}"), NamedNode("http://example.org/p"), Literal(f"値{i}"), graph)
        for i in range(TRIPLES)
    ]
    write_store(
        path,
        serialize(quads, format=RdfFormat.N_QUADS) or b"",
        BuildInfo(built_at="2026-01-01T00:00:00+00:00", version="synthetic", graphs={graph.value: TRIPLES}),
    )
    return path


def test_slow_query_gets_503_while_others_are_served(synthetic_store: Path, serve_app, http_client) -> None:
    """At the deadline the client gets 503 with a reason; a second client is answered meanwhile."""
    server = serve_app({"STORE_PATH": str(synthetic_store), "QUERY_TIMEOUT": 0.5, "ACCESS_LOG": False})
    slow: dict[str, object] = {}

    def run_slow() -> None:
        started = time.monotonic()
        slow["status"], slow["headers"], slow["body"] = query(http_client, server, SLOW_COUNT)
        slow["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=run_slow)
    thread.start()
    time.sleep(0.1)
    started = time.monotonic()
    status, _, body = query(http_client, server, FAST)
    fast_seconds = time.monotonic() - started
    thread.join(timeout=30)
    assert status == 200 and json.loads(body)["results"]["bindings"]
    assert fast_seconds < 0.5
    assert slow["status"] == 503
    assert b"longer than the limit of 0.5 s" in slow["body"]  # type: ignore[operator]
    assert slow["headers"]["Retry-After"]  # type: ignore[index]
    assert 0.4 < slow["seconds"] < 2.0  # type: ignore[operator]
    metrics = http_client.request(f"{server.url}/metrics")[2].decode()
    assert "healthkg_query_timeouts_total 1" in metrics


def test_streamed_result_past_the_deadline_is_cut_off_visibly(synthetic_store: Path, serve_app, http_client) -> None:
    """A result already streaming when time runs out ends without its final chunk, never as a valid document."""
    server = serve_app(
        {
            "STORE_PATH": str(synthetic_store),
            "QUERY_TIMEOUT": 0.5,
            "ACCESS_LOG": False,
            "STREAM_BUFFER_BYTES": 1024,
            "MAX_ROWS": TRIPLES * TRIPLES,
        }
    )
    parts = urlsplit(server.sparql)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request("GET", f"{parts.path}?{urlencode({'query': SLOW_ROWS})}")
    response = connection.getresponse()
    assert response.status == 200
    assert response.headers["Transfer-Encoding"] == "chunked"
    started = time.monotonic()
    with pytest.raises(http.client.IncompleteRead):
        response.read()
    assert time.monotonic() - started < 5
    connection.close()
    status, _, _ = query(http_client, server, FAST)
    assert status == 200


@pytest.mark.parametrize(
    ("text", "accept", "count"),
    [
        (
            "SELECT * WHERE { ?s ?p ?o }",
            "application/sparql-results+json",
            lambda body: len(json.loads(body)["results"]["bindings"]),
        ),
        ("CONSTRUCT WHERE { ?s ?p ?o }", "application/n-triples", lambda body: body.count(b"\n")),
    ],
)
def test_row_cap_truncates_and_says_so(
    synthetic_store: Path, serve_app, text: str, accept: str, count, http_client
) -> None:
    server = serve_app({"STORE_PATH": str(synthetic_store), "MAX_ROWS": 5, "ACCESS_LOG": False})
    status, headers, body = query(http_client, server, text, accept)
    assert status == 200
    assert count(body) == 5
    assert headers["Healthkg-Truncated"] == "max-rows=5"
    status, headers, body = query(http_client, server, text + " LIMIT 5", accept)
    assert count(body) == 5 and headers["Healthkg-Truncated"] is None


def test_request_body_over_the_limit_is_413(synthetic_store: Path, serve_app, http_client) -> None:
    server = serve_app({"STORE_PATH": str(synthetic_store), "MAX_CONTENT_LENGTH": 1000, "ACCESS_LOG": False})
    padding = "#" + "x" * 2000 + "\n"
    for body, content_type in (
        ((padding + FAST).encode(), "application/sparql-query"),
        (urlencode({"query": padding + FAST}).encode(), "application/x-www-form-urlencoded"),
    ):
        status, headers, text = http_client.request(server.sparql, "POST", body, {"Content-Type": content_type})
        assert status == 413, text
        assert headers["Content-Type"].startswith("text/plain")
    status, _, _ = http_client.request(
        server.sparql, "POST", FAST.encode(), {"Content-Type": "application/sparql-query"}
    )
    assert status == 200
