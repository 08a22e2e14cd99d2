"""The HTTP server as `healthkg serve` runs it: quick queries answered on waitress's loop thread.

Each test holds the server's only request thread, so whatever is answered
meanwhile was answered on the loop thread, and whatever waits was handed on.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlencode, urlsplit

import pytest
from werkzeug.test import EnvironBuilder

from healthkg.engine.backends import LocalBackend
from healthkg.engine.store import open_store
from healthkg.server.app import create_app
from healthkg.server.execution import INLINE_AFTER, TemplateCosts
from healthkg.server.wsgi_server import LOOP_REQUEST_BYTES

LABEL = "SELECT ?label WHERE {{ <{iri}> <http://www.w3.org/2000/01/rdf-schema#label> ?label }} ORDER BY ?label"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE {{ <{iri}> ?p ?o }}"
POST = {"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json",
        "Cache-Control": "no-cache"}


@dataclass
class Held:
    url: str
    release: threading.Event


@pytest.fixture
def held(seed_store: Path, serve_app, http_client, hold_route, labelled_programs: list[str]) -> Iterator[Held]:
    """A served app with one request thread, the label template learnt, and that thread then held."""
    app = create_app({"STORE_PATH": str(seed_store), "ACCESS_LOG": False})
    hold = hold_route(app)
    entered, release = hold.entered, hold.release
    server = serve_app(app, threads=1)
    for iri in labelled_programs[:INLINE_AFTER]:
        assert http_client.request(server.sparql, "POST", LABEL.format(iri=iri).encode(), POST)[0] == 200
    assert _get(server.url, COUNT.format(iri=labelled_programs[1]))[0] == 200  # one run: cached, not known to be cheap
    holder = threading.Thread(target=http_client.request, args=(f"{server.url}/test-hold",))
    holder.start()
    assert entered.wait(10)
    try:
        yield Held(server.url, release)
    finally:
        release.set()
        holder.join(10)


def _get(url: str, text: str, timeout: float = 5) -> tuple[int, bytes]:
    """GET a query, by default giving up after 5 s (one left waiting for the held thread would wait 20)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request("GET", f"/sparql?{urlencode({'query': text})}",
                           headers={"Accept": "application/sparql-results+json"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _labels(body: bytes) -> list[str]:
    return [row["label"]["value"] for row in json.loads(body)["results"]["bindings"]]


def test_cheap_lookups_and_cache_hits_are_answered_while_every_request_thread_is_busy(
        held: Held, labelled_programs: list[str], seed_store: Path) -> None:
    backend = LocalBackend(open_store(seed_store))
    for iri in labelled_programs[INLINE_AFTER:]:
        text = LABEL.format(iri=iri)
        status, body = _get(held.url, text)
        assert status == 200
        assert _labels(body) == [row["label"]["value"] for row in backend.select(text)["results"]["bindings"]] != []
    status, body = _get(held.url, COUNT.format(iri=labelled_programs[1]))  # from the result cache
    assert status == 200 and int(json.loads(body)["results"]["bindings"][0]["n"]["value"]) > 0


def test_other_requests_wait_for_a_request_thread_and_keep_their_body(held: Held, http_client,
                                                                        labelled_programs: list[str]) -> None:
    answers: list[tuple[int, bytes]] = []
    text = COUNT.format(iri=labelled_programs[0]).encode()  # a template never run before: not known to be cheap
    waiting = threading.Thread(target=lambda: answers.append(
        http_client.request(f"{held.url}/sparql", "POST", text, POST)[::2]))
    waiting.start()
    waiting.join(1.0)
    assert waiting.is_alive() and not answers  # queued behind the held thread
    held.release.set()
    waiting.join(10)
    (status, body), = answers
    assert status == 200 and int(json.loads(body)["results"]["bindings"][0]["n"]["value"]) > 0


def _read_response(stream: BinaryIO) -> tuple[int, bytes]:
    status = int(stream.readline().split()[1])
    length = 0
    while (line := stream.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    return status, stream.read(length)


def test_pipelined_requests_are_answered_in_order_whichever_thread_serves_them(
        seed_store: Path, serve_app, http_client, labelled_programs: list[str]) -> None:
    server = serve_app(create_app({"STORE_PATH": str(seed_store), "ACCESS_LOG": False}), threads=1)
    for iri in labelled_programs[:INLINE_AFTER]:
        http_client.request(server.sparql, "POST", LABEL.format(iri=iri).encode(), POST)
    texts = [
        LABEL.format(iri=labelled_programs[4]),
        COUNT.format(iri=labelled_programs[5]),
        LABEL.format(iri=labelled_programs[6]),
        LABEL.format(iri=labelled_programs[7]),
    ]
    parts = urlsplit(server.url)
    wire = b"".join(
        f"POST /sparql HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/sparql-query\r\n"
        f"Accept: application/sparql-results+json\r\nContent-Length: {len(text.encode())}\r\n\r\n".encode()
        + text.encode()
        for text in texts
    )
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as connection:
        connection.sendall(wire)
        stream = connection.makefile("rb")
        answers = [_read_response(stream) for _ in texts]
    assert [status for status, _ in answers] == [200] * len(texts)
    assert json.loads(answers[1][1])["head"]["vars"] == ["n"]
    for (_, body), text in zip(answers, texts):
        expected = http_client.request(server.sparql, "POST", text.encode(), POST)[2]
        assert body == expected


def test_a_template_leaves_the_loop_when_its_runs_grow_dear_and_comes_back_when_cheap_again() -> None:
    costs = TemplateCosts(inline_below=0.05, max_bytes=65536, max_wall=1.0)
    for _ in range(INLINE_AFTER):
        costs.record("t", 0.0005, 0.001, 100)
    assert costs.is_cheap("t", below=0.002)
    costs.record("t", 0.04, 0.05, 100)  # still cheap enough for a request thread, not for the loop
    assert costs.is_cheap("t") and not costs.is_cheap("t", below=0.002)
    for _ in range(20):
        costs.record("t", 0.0005, 0.001, 100)
    assert costs.is_cheap("t", below=0.002)
    costs.record("t", 0.2, 0.3, 100)  # too dear even for a request thread: back to the workers for good
    assert not costs.is_cheap("t")


def test_long_requests_are_not_read_on_the_loop_thread(held: Held, labelled_programs: list[str]) -> None:
    padded = LABEL.format(iri=labelled_programs[INLINE_AFTER]) + "\n#" + "x" * LOOP_REQUEST_BYTES  # same template
    answers: list[tuple[int, bytes]] = []
    waiting = threading.Thread(target=lambda: answers.append(_get(held.url, padded, timeout=20)))
    waiting.start()
    waiting.join(1.0)
    assert waiting.is_alive() and not answers
    held.release.set()
    waiting.join(20)
    assert answers[0][0] == 200 and _labels(answers[0][1])


def test_without_the_in_memory_store_the_loop_thread_only_answers_from_the_cache(
    seed_store: Path, labelled_programs: list[str]
) -> None:
    app = create_app({"STORE_PATH": str(seed_store), "ACCESS_LOG": False})
    lane = app.extensions["healthkg.lane"]
    client = app.test_client()
    for iri in labelled_programs[:INLINE_AFTER]:
        client.post("/sparql", data=LABEL.format(iri=iri), headers=POST)

    def environ(text: str) -> dict:
        return EnvironBuilder(
            path="/sparql", query_string={"query": text}, headers={"Accept": "application/sparql-results+json"}
        ).get_environ()

    fresh, cached = LABEL.format(iri=labelled_programs[4]), LABEL.format(iri=labelled_programs[5])
    assert (
        client.get(
            "/sparql", query_string={"query": cached}, headers={"Accept": "application/sparql-results+json"}
        ).status_code
        == 200
    )
    assert lane.prepare(environ(fresh)) is not None  # in memory: evaluated on the loop
    lane.loop_below = 0.0  # as create_app sets it for a disk store or a remote endpoint
    assert lane.prepare(environ(LABEL.format(iri=labelled_programs[6]))) is None
    assert lane.prepare(environ(cached)).cache_use == "hit"
    disk = create_app({"STORE_PATH": str(seed_store), "SPARQL_BACKEND_URL": "http://127.0.0.1:9/sparql"})
    assert disk.extensions["healthkg.lane"].loop_below == 0
