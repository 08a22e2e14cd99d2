"""Writes: SPARQL 1.1 Update (Protocol §2.2) and the Graph Store HTTP Protocol, off by default, token-guarded.

Every rejected request is followed by a check that the graph did not change.
GSP section numbers refer to https://www.w3.org/TR/sparql11-http-rdf-update/.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
import rdflib
from rdflib.compare import isomorphic

from healthkg.engine.store import read_info
from healthkg.server.app import ConfigError, create_app

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
GRAPH = "http://example.org/graph/test"
TURTLE = '<http://example.org/s> <http://example.org/p> "値 one"@ja .\n'
MORE = '<http://example.org/s> <http://example.org/p> "値 two"@ja .\n'


@pytest.fixture
def writable(seed_store: Path, serve_app):
    """A server over an in-memory copy of the seed with writes enabled."""
    return serve_app({"STORE_PATH": str(seed_store), "UPDATE_ENABLED": True, "UPDATE_TOKEN": TOKEN,
                      "ACCESS_LOG": False})


def ask(http_client, server, query: str) -> bool:
    status, _, body = http_client.request(f"{server.sparql}?{urlencode({'query': query})}",
                              headers={"Accept": "application/sparql-results+json"})
    assert status == 200, body
    return bool(json.loads(body)["boolean"])


def count(http_client, server) -> int:
    status, _, body = http_client.request(
        f"{server.sparql}?{urlencode({'query': 'SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }'})}",
        headers={"Accept": "application/sparql-results+json", "Cache-Control": "no-cache"},
    )
    return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])


INSERT = f'INSERT DATA {{ GRAPH <{GRAPH}> {{ <http://example.org/s> <http://example.org/p> "更新"@ja }} }}'
INSERTED = f'ASK {{ GRAPH <{GRAPH}> {{ <http://example.org/s> <http://example.org/p> "更新"@ja }} }}'


def test_updates_are_refused_by_default(live_server, seed_store, http_client) -> None:
    """Read-only by default: an update is 403 even with a token, and nothing changes."""
    for body, content_type in (
        (INSERT.encode(), "application/sparql-update"),
        (urlencode({"update": INSERT}).encode(), "application/x-www-form-urlencoded"),
    ):
        status, _, text = http_client.request(live_server.sparql, "POST", body, {"Content-Type": content_type, **AUTH})
        assert status == 403 and b"disabled" in text
    assert not ask(http_client, live_server, INSERTED)
    assert count(http_client, live_server) == read_info(seed_store).triples


def test_graph_store_is_refused_by_default(live_server, http_client) -> None:
    assert http_client.request(f"{live_server.url}/store?default")[0] == 403
    status, _, _ = http_client.request(
        f"{live_server.url}/store?graph={quote(GRAPH)}", "PUT", TURTLE.encode(), {"Content-Type": "text/turtle", **AUTH}
    )
    assert status == 403


def test_updates_need_the_configured_token(writable, http_client) -> None:
    """A missing or wrong bearer token is 401 with a challenge, and changes nothing."""
    before = count(http_client, writable)
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
        status, response_headers, _ = http_client.request(
            writable.sparql, "POST", INSERT.encode(), {"Content-Type": "application/sparql-update", **headers}
        )
        assert status == 401
        assert response_headers["WWW-Authenticate"].startswith("Bearer")
    assert count(http_client, writable) == before and not ask(http_client, writable, INSERTED)


@pytest.mark.parametrize("form", [True, False])
def test_update_with_token_changes_the_served_graph(writable, form: bool, http_client) -> None:
    """§2.2.1 URL-encoded and §2.2.2 direct POST; answers computed before the update are not reused."""
    assert not ask(http_client, writable, INSERTED)
    body = urlencode({"update": INSERT}).encode() if form else INSERT.encode()
    content_type = "application/x-www-form-urlencoded" if form else "application/sparql-update; charset=utf-8"
    status, _, text = http_client.request(writable.sparql, "POST", body, {"Content-Type": content_type, **AUTH})
    assert status == 204, text
    assert ask(http_client, writable, INSERTED)


def test_malformed_update_is_400_and_changes_nothing(writable, http_client) -> None:
    before = count(http_client, writable)
    status, _, body = http_client.request(
        writable.sparql, "POST", b"INSERT DATA { <http://a> }", {"Content-Type": "application/sparql-update", **AUTH}
    )
    assert status == 400 and b"malformed update" in body and b"1:" in body
    assert count(http_client, writable) == before


SOURCES = ("http://example.org/graph/a", "http://example.org/graph/b")
SEEDED = "INSERT DATA { " + " ".join(
    f'GRAPH <{graph}> {{ <http://example.org/s{i}> <http://example.org/p> "{i}" }}' for i, graph in enumerate(SOURCES)
) + " }"
OUT = "http://example.org/graph/out"


def _copied(http_client, server) -> set[str]:
    status, _, body = http_client.request(
        f"{server.sparql}?{urlencode({'query': f'SELECT ?s {{ GRAPH <{OUT}> {{ ?s ?p ?o }} }}'})}",
        headers={"Accept": "application/sparql-results+json", "Cache-Control": "no-cache"})
    assert status == 200, body
    return {row["s"]["value"] for row in json.loads(body)["results"]["bindings"]}


def _update(http_client, server, text: str, params: list[tuple[str, str]], form: bool) -> tuple[int, bytes]:
    if form:
        body, url, content_type = urlencode([("update", text), *params]).encode(), server.sparql, \
            "application/x-www-form-urlencoded"
    else:
        body, url, content_type = text.encode(), f"{server.sparql}?{urlencode(params)}", "application/sparql-update"
    status, _, answer = http_client.request(url, "POST", body, {"Content-Type": content_type, **AUTH})
    return status, answer


@pytest.mark.parametrize("form", [True, False])
def test_using_graph_uri_gives_the_updates_dataset(writable, http_client, form: bool) -> None:
    """§2.2.3: using-graph-uri is the WHERE clause's default graph, as USING would be; using-named-graph-uri
    its named graphs; DELETE WHERE takes them too."""
    assert _update(http_client, writable, SEEDED, [], form)[0] == 204
    copy = f"INSERT {{ GRAPH <{OUT}> {{ ?s <http://example.org/p> ?o }} }} WHERE {{ ?s <http://example.org/p> ?o }}"
    status, answer = _update(http_client, writable, copy, [("using-graph-uri", SOURCES[0])], form)
    assert status == 204, answer
    assert _copied(http_client, writable) == {"http://example.org/s0"}
    named = f"INSERT {{ GRAPH <{OUT}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    assert _update(http_client, writable, named, [("using-named-graph-uri", SOURCES[1])], form)[0] == 204
    assert _copied(http_client, writable) == {"http://example.org/s0", "http://example.org/s1"}
    drop = f"DELETE WHERE {{ GRAPH <{OUT}> {{ ?s ?p ?o }} }}"
    assert _update(http_client, writable, drop, [("using-named-graph-uri", OUT)], form)[0] == 204
    assert _copied(http_client, writable) == set()


def test_using_in_the_update_itself_works_and_excludes_the_parameters(writable, http_client) -> None:
    assert _update(http_client, writable, SEEDED, [], False)[0] == 204
    copy = (f"INSERT {{ GRAPH <{OUT}> {{ ?s ?p ?o }} }} USING <{SOURCES[1]}> WHERE {{ ?s ?p ?o }}")
    assert _update(http_client, writable, copy, [], False)[0] == 204
    assert _copied(http_client, writable) == {"http://example.org/s1"}
    status, answer = _update(http_client, writable, copy.replace(SOURCES[1], SOURCES[0]),
                             [("using-graph-uri", SOURCES[0])], True)
    assert status == 400 and b"USING" in answer
    assert _copied(http_client, writable) == {"http://example.org/s1"}


@pytest.mark.parametrize("headers", [{"Content-Type": "application/sparql-update; charset=rot13"},
                                     {"Content-Type": "application/sparql-update"}])
def test_the_token_is_checked_before_the_body_is_read(writable, http_client, headers: dict[str, str]) -> None:
    """An update without the token is 401 whatever its body: an unknown charset, bytes that are not UTF-8."""
    status, _, _ = http_client.request(writable.sparql, "POST", b"INSERT DATA { \xff\xfe }", headers)
    assert status == 401


def test_update_without_a_token_configured_is_a_config_error(seed_store) -> None:
    with pytest.raises(ConfigError):
        create_app({"STORE_PATH": str(seed_store), "UPDATE_ENABLED": True})


def _graph_url(server, graph: str = GRAPH) -> str:
    return f"{server.url}/store?graph={quote(graph, safe='')}"


def put(
    http_client, url: str, body: str, method: str = "PUT", content_type: str = "text/turtle", auth: bool = True
) -> int:
    headers = {"Content-Type": content_type, **(AUTH if auth else {})}
    return http_client.request(url, method, body.encode("utf-8"), headers)[0]


def graph_at(http_client, url: str) -> rdflib.Graph:
    status, headers, body = http_client.request(url, headers={"Accept": "text/turtle"})
    assert status == 200 and headers["Content-Type"].startswith("text/turtle")
    return rdflib.Graph().parse(data=body, format="turtle")


def test_graph_store_lifecycle(writable, http_client) -> None:
    """§5.3 PUT: 201 new, 204 replaced; §5.5 POST: 204 merged; §5.2 GET/HEAD 200; §5.4 DELETE 204, then 404."""
    url = _graph_url(writable)
    assert http_client.request(url)[0] == 404
    assert put(http_client, url, TURTLE) == 201
    assert isomorphic(graph_at(http_client, url), rdflib.Graph().parse(data=TURTLE, format="turtle"))
    assert ask(http_client, writable, f'ASK {{ GRAPH <{GRAPH}> {{ ?s ?p "値 one"@ja }} }}')
    assert put(http_client, url, MORE) == 204
    assert isomorphic(graph_at(http_client, url), rdflib.Graph().parse(data=MORE, format="turtle"))
    assert put(http_client, url, TURTLE, method="POST") == 204
    assert len(graph_at(http_client, url)) == 2
    status, headers, body = http_client.request(url, "HEAD", headers={"Accept": "application/n-triples"})
    assert status == 200 and body == b"" and headers["Content-Type"].startswith("application/n-triples")
    assert http_client.request(url, "DELETE", headers=AUTH)[0] == 204
    assert http_client.request(url)[0] == 404
    assert http_client.request(url, "DELETE", headers=AUTH)[0] == 404


def test_graph_store_default_graph(writable, http_client) -> None:
    url = f"{writable.url}/store?default"
    assert put(http_client, url, TURTLE) == 201
    assert len(graph_at(http_client, url)) == 1
    assert put(http_client, url, MORE, method="POST") == 204
    assert len(graph_at(http_client, url)) == 2
    assert http_client.request(url, "DELETE", headers=AUTH)[0] == 204
    assert len(graph_at(http_client, url)) == 0


def test_post_to_the_store_creates_a_graph_and_says_where(writable, http_client) -> None:
    """§5.5: a POST to the graph store itself makes a new graph, named in Location (direct identification)."""
    status, headers, _ = http_client.request(
        f"{writable.url}/store", "POST", TURTLE.encode(), {"Content-Type": "text/turtle", **AUTH}
    )
    assert status == 201
    location = headers["Location"]
    assert location.startswith(f"{writable.url}/store/")
    assert len(graph_at(http_client, location)) == 1
    assert ask(http_client, writable, f"ASK {{ GRAPH <{location}> {{ ?s ?p ?o }} }}")


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (TURTLE, "text/plain", 415),
        (TURTLE, "application/n-quads", 415),
        ("<http://example.org/s> <http://example.org/p> .", "text/turtle", 400),
    ],
)
def test_bad_payloads_change_nothing(writable, body: str, content_type: str, status: int, http_client) -> None:
    url = _graph_url(writable)
    assert put(http_client, url, TURTLE) == 201
    assert put(http_client, url, body, content_type=content_type) == status
    assert isomorphic(graph_at(http_client, url), rdflib.Graph().parse(data=TURTLE, format="turtle"))


def test_graph_store_writes_need_the_token(writable, http_client) -> None:
    url = _graph_url(writable)
    assert put(http_client, url, TURTLE, auth=False) == 401
    assert http_client.request(url)[0] == 404


@pytest.mark.parametrize("query", ["?default&graph=http://example.org/g", "", "?graph=a&graph=b"])
def test_graph_store_needs_exactly_one_graph(writable, query: str, http_client) -> None:
    """§4.2: a request names either one graph or the default graph."""
    assert http_client.request(f"{writable.url}/store{query}", headers=AUTH)[0] == 400


def test_graph_store_get_is_negotiated(writable, http_client) -> None:
    url = _graph_url(writable)
    put(http_client, url, TURTLE)
    assert http_client.request(url, headers={"Accept": "application/sparql-results+json"})[0] == 406
    status, headers, body = http_client.request(url, headers={"Accept": "application/ld+json"})
    assert status == 200 and "値 one" in body.decode("utf-8")
