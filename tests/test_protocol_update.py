"""Writes: SPARQL 1.1 Update (Protocol §2.2) and the Graph Store HTTP Protocol, off by default, token-guarded.

Every rejected request is followed by a check that the graph did not change.
GSP section numbers refer to https://www.w3.org/TR/sparql11-http-rdf-update/.
"""

from __future__ import annotations

import http.client
import json
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import pytest
import rdflib
from rdflib.compare import isomorphic

from healthkg.queries.store import read_info
from healthkg.server.app import ConfigError, create_app



def request(url: str, method: str = "GET", body: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, http.client.HTTPMessage, bytes]:
    """Raw HTTP, so error statuses come back as they are."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request(method, parts.path + (f"?{parts.query}" if parts.query else ""), body=body,
                           headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
GRAPH = "http://example.org/graph/test"
TURTLE = '<http://example.org/s> <http://example.org/p> "値 one"@ja .\n'
MORE = '<http://example.org/s> <http://example.org/p> "値 two"@ja .\n'


@pytest.fixture
def writable(seed_store: Path, serve_app):
    """A server over an in-memory copy of the seed with writes enabled."""
    return serve_app(create_app({"STORE_PATH": str(seed_store), "UPDATE_ENABLED": True, "UPDATE_TOKEN": TOKEN,
                                 "ACCESS_LOG": False}))


def ask(server, query: str) -> bool:
    status, _, body = request(f"{server.sparql}?{urlencode({'query': query})}",
                              headers={"Accept": "application/sparql-results+json"})
    assert status == 200, body
    return bool(json.loads(body)["boolean"])


def count(server) -> int:
    status, _, body = request(f"{server.sparql}?{urlencode({'query': 'SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }'})}",
                              headers={"Accept": "application/sparql-results+json", "Cache-Control": "no-cache"})
    return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])


INSERT = f'INSERT DATA {{ GRAPH <{GRAPH}> {{ <http://example.org/s> <http://example.org/p> "更新"@ja }} }}'
INSERTED = f'ASK {{ GRAPH <{GRAPH}> {{ <http://example.org/s> <http://example.org/p> "更新"@ja }} }}'


def test_updates_are_refused_by_default(live_server, seed_store) -> None:
    """Read-only by default: an update is 403 even with a token, and nothing changes."""
    for body, content_type in ((INSERT.encode(), "application/sparql-update"),
                               (urlencode({"update": INSERT}).encode(), "application/x-www-form-urlencoded")):
        status, _, text = request(live_server.sparql, "POST", body, {"Content-Type": content_type, **AUTH})
        assert status == 403 and b"disabled" in text
    assert not ask(live_server, INSERTED)
    assert count(live_server) == read_info(seed_store).triples


def test_graph_store_is_refused_by_default(live_server) -> None:
    assert request(f"{live_server.url}/store?default")[0] == 403
    status, _, _ = request(f"{live_server.url}/store?graph={quote(GRAPH)}", "PUT", TURTLE.encode(),
                           {"Content-Type": "text/turtle", **AUTH})
    assert status == 403


def test_updates_need_the_configured_token(writable) -> None:
    """A missing or wrong bearer token is 401 with a challenge, and changes nothing."""
    before = count(writable)
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
        status, response_headers, _ = request(writable.sparql, "POST", INSERT.encode(),
                                              {"Content-Type": "application/sparql-update", **headers})
        assert status == 401
        assert response_headers["WWW-Authenticate"].startswith("Bearer")
    assert count(writable) == before and not ask(writable, INSERTED)


@pytest.mark.parametrize("form", [True, False])
def test_update_with_token_changes_the_served_graph(writable, form: bool) -> None:
    """§2.2.1 URL-encoded and §2.2.2 direct POST; answers computed before the update are not reused."""
    assert not ask(writable, INSERTED)
    body = urlencode({"update": INSERT}).encode() if form else INSERT.encode()
    content_type = "application/x-www-form-urlencoded" if form else "application/sparql-update; charset=utf-8"
    status, _, text = request(writable.sparql, "POST", body, {"Content-Type": content_type, **AUTH})
    assert status == 204, text
    assert ask(writable, INSERTED)


def test_malformed_update_is_400_and_changes_nothing(writable) -> None:
    before = count(writable)
    status, _, body = request(writable.sparql, "POST", b"INSERT DATA { <http://a> }",
                              {"Content-Type": "application/sparql-update", **AUTH})
    assert status == 400 and b"malformed update" in body and b"1:" in body
    assert count(writable) == before


def test_update_dataset_parameters_are_refused(writable) -> None:
    body = urlencode({"update": INSERT, "using-graph-uri": GRAPH}).encode()
    status, _, _ = request(writable.sparql, "POST", body, {"Content-Type": "application/x-www-form-urlencoded", **AUTH})
    assert status == 400 and not ask(writable, INSERTED)


def test_update_without_a_token_configured_is_a_config_error(seed_store) -> None:
    with pytest.raises(ConfigError):
        create_app({"STORE_PATH": str(seed_store), "UPDATE_ENABLED": True})


def _graph_url(server, graph: str = GRAPH) -> str:
    return f"{server.url}/store?graph={quote(graph, safe='')}"


def put(url: str, body: str, method: str = "PUT", content_type: str = "text/turtle", auth: bool = True) -> int:
    headers = {"Content-Type": content_type, **(AUTH if auth else {})}
    return request(url, method, body.encode("utf-8"), headers)[0]


def graph_at(url: str) -> rdflib.Graph:
    status, headers, body = request(url, headers={"Accept": "text/turtle"})
    assert status == 200 and headers["Content-Type"].startswith("text/turtle")
    return rdflib.Graph().parse(data=body, format="turtle")


def test_graph_store_lifecycle(writable) -> None:
    """§5.3 PUT: 201 new, 204 replaced; §5.5 POST: 204 merged; §5.2 GET/HEAD 200; §5.4 DELETE 204, then 404."""
    url = _graph_url(writable)
    assert request(url)[0] == 404
    assert put(url, TURTLE) == 201
    assert isomorphic(graph_at(url), rdflib.Graph().parse(data=TURTLE, format="turtle"))
    assert ask(writable, f'ASK {{ GRAPH <{GRAPH}> {{ ?s ?p "値 one"@ja }} }}')
    assert put(url, MORE) == 204
    assert isomorphic(graph_at(url), rdflib.Graph().parse(data=MORE, format="turtle"))
    assert put(url, TURTLE, method="POST") == 204
    assert len(graph_at(url)) == 2
    status, headers, body = request(url, "HEAD", headers={"Accept": "application/n-triples"})
    assert status == 200 and body == b"" and headers["Content-Type"].startswith("application/n-triples")
    assert request(url, "DELETE", headers=AUTH)[0] == 204
    assert request(url)[0] == 404
    assert request(url, "DELETE", headers=AUTH)[0] == 404


def test_graph_store_default_graph(writable) -> None:
    url = f"{writable.url}/store?default"
    assert put(url, TURTLE) == 201
    assert len(graph_at(url)) == 1
    assert put(url, MORE, method="POST") == 204
    assert len(graph_at(url)) == 2
    assert request(url, "DELETE", headers=AUTH)[0] == 204
    assert len(graph_at(url)) == 0


def test_post_to_the_store_creates_a_graph_and_says_where(writable) -> None:
    """§5.5: a POST to the graph store itself makes a new graph, named in Location (direct identification)."""
    status, headers, _ = request(f"{writable.url}/store", "POST", TURTLE.encode(),
                                 {"Content-Type": "text/turtle", **AUTH})
    assert status == 201
    location = headers["Location"]
    assert location.startswith(f"{writable.url}/store/")
    assert len(graph_at(location)) == 1
    assert ask(writable, f"ASK {{ GRAPH <{location}> {{ ?s ?p ?o }} }}")


@pytest.mark.parametrize(("body", "content_type", "status"), [
    (TURTLE, "text/plain", 415),
    (TURTLE, "application/n-quads", 415),
    ("<http://example.org/s> <http://example.org/p> .", "text/turtle", 400),
])
def test_bad_payloads_change_nothing(writable, body: str, content_type: str, status: int) -> None:
    url = _graph_url(writable)
    assert put(url, TURTLE) == 201
    assert put(url, body, content_type=content_type) == status
    assert isomorphic(graph_at(url), rdflib.Graph().parse(data=TURTLE, format="turtle"))


def test_graph_store_writes_need_the_token(writable) -> None:
    url = _graph_url(writable)
    assert put(url, TURTLE, auth=False) == 401
    assert request(url)[0] == 404


@pytest.mark.parametrize("query", ["?default&graph=http://example.org/g", "", "?graph=a&graph=b"])
def test_graph_store_needs_exactly_one_graph(writable, query: str) -> None:
    """§4.2: a request names either one graph or the default graph."""
    assert request(f"{writable.url}/store{query}", headers=AUTH)[0] == 400


def test_graph_store_get_is_negotiated(writable) -> None:
    url = _graph_url(writable)
    put(url, TURTLE)
    assert request(url, headers={"Accept": "application/sparql-results+json"})[0] == 406
    status, headers, body = request(url, headers={"Accept": "application/ld+json"})
    assert status == 200 and "値 one" in body.decode("utf-8")
