"""The same API on an existing engine: `healthkg publish` into the Oxigraph server from PyPI, and the
server reading that engine through SPARQL_BACKEND_URL. The Oxigraph server is started by these tests on
127.0.0.1 (its Graph Store at /store, queries at /query) and stopped after them.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner
from pyoxigraph import RdfFormat, parse

from healthkg.cli.main import cli
from healthkg.engine.store import BuildInfo, read_info, write_store
from healthkg.queries.catalogue import catalogue
from healthkg.server.app import ConfigError, create_app

GRAPH_SIZES = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


def select(
    http_client, endpoint: str, query: str, accept: str = "application/sparql-results+json"
) -> tuple[int, str, bytes]:
    status, headers, body = http_client.request(
        f"{endpoint}?{urlencode({'query': query})}", headers={"Accept": accept, "Cache-Control": "no-cache"}
    )
    return status, headers["Content-Type"] or "", body


def graph_sizes(http_client, endpoint: str) -> dict[str, int]:
    status, _, body = select(http_client, endpoint, GRAPH_SIZES)
    assert status == 200, body
    return {row["g"]["value"]: int(row["n"]["value"]) for row in json.loads(body)["results"]["bindings"]}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An Oxigraph server (on-disk store, union default graph) on a free loopback port."""
    port = _free_port()
    executable = Path(sys.executable).with_name("oxigraph")
    process = subprocess.Popen(
        [
            str(executable),
            "serve",
            "--location",
            str(tmp_path_factory.mktemp("oxigraph")),
            "--bind",
            f"127.0.0.1:{port}",
            "--union-default-graph",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=20)
        if process.stderr:
            process.stderr.close()


@pytest.fixture(scope="module")
def published(oxigraph: str, seed_store: Path) -> tuple[str, str]:
    """The seed store published into the Oxigraph server; the CLI's output."""
    result = CliRunner().invoke(cli, ["publish", "--endpoint", f"{oxigraph}/store", "--store", str(seed_store)])
    assert result.exit_code == 0, result.output
    return oxigraph, result.output


def test_publish_puts_every_named_graph(published: tuple[str, str], seed_store: Path, http_client) -> None:
    """Graph Store Protocol §5.3: one PUT per named graph, each answered 201 (new) on an empty store."""
    url, output = published
    info = read_info(seed_store)
    assert graph_sizes(http_client, f"{url}/query") == {graph: size for graph, size in info.graphs.items() if size}
    lines = [line.split() for line in output.splitlines() if line[:3].isdigit()]
    assert {line[2] for line in lines} == set(info.graphs)
    assert {line[0] for line in lines} <= {"201", "204"}
    assert f"published {info.triples} triples" in output


def test_publishing_again_replaces_rather_than_duplicates(
    published: tuple[str, str], seed_store: Path, http_client
) -> None:
    url, _ = published
    result = CliRunner().invoke(cli, ["publish", "--endpoint", f"{url}/store", "--store", str(seed_store)])
    assert result.exit_code == 0, result.output
    assert all(line.split()[0] == "204" for line in result.output.splitlines() if line[:3].isdigit())
    assert sum(graph_sizes(http_client, f"{url}/query").values()) == read_info(seed_store).triples


def test_publish_sends_the_bearer_token(seed_store: Path, tmp_path: Path, serve_app, http_client) -> None:
    """Into our own server's Graph Store: refused without the right token (nothing changes), accepted with it."""
    empty = tmp_path / "empty"
    write_store(empty, b"", BuildInfo(built_at="2026-01-01T00:00:00+00:00", version="empty"))
    server = serve_app({"STORE_PATH": str(empty), "UPDATE_ENABLED": True, "UPDATE_TOKEN": "t0ken", "ACCESS_LOG": False})
    runner = CliRunner()
    refused = runner.invoke(
        cli, ["publish", "--endpoint", f"{server.url}/store", "--store", str(seed_store), "--token", "wrong"]
    )
    assert refused.exit_code == 1 and "HTTP 401" in refused.output
    assert graph_sizes(http_client, server.sparql) == {}
    accepted = runner.invoke(
        cli, ["publish", "--endpoint", f"{server.url}/store", "--store", str(seed_store), "--token", "t0ken"]
    )
    assert accepted.exit_code == 0, accepted.output
    info = read_info(seed_store)
    assert graph_sizes(http_client, server.sparql) == {graph: size for graph, size in info.graphs.items() if size}


def test_publish_to_nowhere_fails_clearly(seed_store: Path) -> None:
    result = CliRunner().invoke(
        cli, ["publish", "--endpoint", f"http://127.0.0.1:{_free_port()}/store", "--store", str(seed_store)]
    )
    assert result.exit_code == 1 and "cannot reach" in result.output


def test_update_needs_the_embedded_store(seed_store: Path) -> None:
    with pytest.raises(ConfigError):
        create_app(
            {
                "STORE_PATH": str(seed_store),
                "SPARQL_BACKEND_URL": "http://127.0.0.1:9/query",
                "UPDATE_ENABLED": True,
                "UPDATE_TOKEN": "t",
            }
        )


@pytest.fixture
def over_oxigraph(published: tuple[str, str], seed_store: Path, serve_app):
    """Our server, reading the Oxigraph server instead of its embedded store."""
    url, _ = published
    return serve_app({"STORE_PATH": str(seed_store), "SPARQL_BACKEND_URL": f"{url}/query", "ACCESS_LOG": False})


def _rows(body: bytes) -> list[tuple[tuple[str, str], ...]]:
    bindings = json.loads(body)["results"]["bindings"]
    return sorted(tuple(sorted((k, v["value"]) for k, v in row.items())) for row in bindings)


@pytest.mark.parametrize("name", ["budget-reconciliation", "budget-lines"])
def test_named_queries_answer_the_same_over_oxigraph(over_oxigraph, live_server, name: str, http_client) -> None:
    """The same request to the same API gives the same rows whichever engine holds the graph."""
    text = catalogue()[name].render({})
    remote_status, remote_type, remote_body = select(http_client, over_oxigraph.sparql, text)
    local_status, _, local_body = select(http_client, live_server.sparql, text)
    assert remote_status == local_status == 200
    assert remote_type.startswith("application/sparql-results+json")
    assert _rows(remote_body) == _rows(local_body) != []


@pytest.mark.parametrize(
    ("query", "accept", "media_type"),
    [
        ("SELECT ?s WHERE { ?s ?p ?o } LIMIT 3", "text/csv", "text/csv"),
        ("SELECT ?s WHERE { ?s ?p ?o } LIMIT 3", "application/sparql-results+xml", "application/sparql-results+xml"),
        ("CONSTRUCT WHERE { ?s ?p ?o } LIMIT 3", None, "text/turtle"),
        ("CONSTRUCT WHERE { ?s ?p ?o } LIMIT 3", "application/n-triples", "application/n-triples"),
    ],
)
def test_formats_are_negotiated_over_oxigraph(
    over_oxigraph, query: str, accept: str | None, media_type: str, http_client
) -> None:
    status, content_type, body = select(http_client, over_oxigraph.sparql, query, accept or "")
    assert status == 200 and content_type.split(";")[0] == media_type and body


def test_errors_keep_their_status_over_oxigraph(over_oxigraph, http_client) -> None:
    status, _, body = select(http_client, over_oxigraph.sparql, "SELECT ?s WHERE { ?s ?p }")
    assert status == 400 and b"malformed query" in body
    assert select(http_client, over_oxigraph.sparql, "SELECT * WHERE { ?s ?p ?o }", "text/turtle")[0] == 406


def test_dataset_parameters_reach_oxigraph(over_oxigraph, seed_store: Path, http_client) -> None:
    graph, size = max(read_info(seed_store).graphs.items(), key=lambda item: item[1])
    status, _, body = http_client.request(
        f"{over_oxigraph.sparql}?"
        + urlencode([("query", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"), ("default-graph-uri", graph)]),
        headers={"Accept": "application/sparql-results+json"},
    )
    assert status == 200 and int(json.loads(body)["results"]["bindings"][0]["n"]["value"]) == size


def test_service_description_over_oxigraph(over_oxigraph, seed_store: Path, http_client) -> None:
    status, headers, body = http_client.request(over_oxigraph.sparql)
    assert status == 200 and headers["Content-Type"].startswith("text/turtle")
    named = {
        quad.object.value
        for quad in parse(body, format=RdfFormat.TURTLE)
        if quad.predicate.value == "http://www.w3.org/ns/sparql-service-description#name"
    }
    for graph, size in read_info(seed_store).graphs.items():
        if size:
            assert graph in named


def test_unreachable_backend_is_502(seed_store: Path, serve_app, http_client) -> None:
    server = serve_app(
        {
            "STORE_PATH": str(seed_store),
            "ACCESS_LOG": False,
            "SPARQL_BACKEND_URL": f"http://127.0.0.1:{_free_port()}/query",
        }
    )
    status, _, body = select(http_client, server.sparql, "ASK {}")
    assert status == 502 and b"127.0.0.1" in body
