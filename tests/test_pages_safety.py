"""Pages against hostile data and hostile URLs: no live link but to the web, a CSP, no 5xx.

A ``javascript:`` IRI can reach the graph through a curated mapping, a document or an
update; pages must show it as text. Malformed IRIs in a path or an argument are the
client's error (400/404), never the server's.
"""

from __future__ import annotations

import http.client
import random
import re
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from rdflib.namespace import OWL, RDF, RDFS

from healthkg.engine.store import BuildInfo, write_store
from healthkg.ontology import BASE, HKG

HOSTILE_IRIS = ["javascript:alert(1)", "JavaScript:alert(2)", "data:text/html,x", "vbscript:msgbox(3)",
                "file:///etc/passwd"]


def fetch(url: str, accept: str = "text/html") -> tuple[int, dict[str, str], str]:
    """A GET sent exactly as written (no re-quoting), status, headers and body back."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        connection.request("GET", url[len(f"{parts.scheme}://{parts.netloc}"):], headers={"Accept": accept})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read().decode(
            "utf-8", "replace")
    finally:
        connection.close()


@pytest.fixture(scope="module")
def scheming_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store whose program maps to, is the same as and was derived from non-web IRIs."""
    store = tmp_path_factory.mktemp("scheming") / "store"
    program, graph = f"<{BASE}id/program/scheming>", f"<{BASE}graph/document/scheming>"
    triples = [f"{program} <{RDF.type}> <{HKG}Program>", f'{program} <{RDFS.label}> "策略事業"@ja']
    for i, iri in enumerate(HOSTILE_IRIS):
        target = f"<{iri}>"
        predicate = ["<http://www.w3.org/2004/02/skos/core#exactMatch>", f"<{OWL.sameAs}>",
                     "<http://www.w3.org/ns/prov#wasDerivedFrom>"][i % 3]
        triples.append(f"{program} {predicate} {target}")
    triples.append(f"{program} <http://www.w3.org/ns/prov#wasDerivedFrom> <javascript:alert(4)>")
    triples.append(f"{program} <{OWL.sameAs}> <https://example.org/fine>")
    write_store(store, ("\n".join(f"{t} {graph} ." for t in triples) + "\n").encode("utf-8"),
                BuildInfo(built_at="2024-01-01T00:00:00+00:00", version="scheming", graphs={graph[1:-1]: 9}))
    return store


def test_non_web_iris_never_become_live_links(scheming_store, serve_app) -> None:
    server = serve_app({"STORE_PATH": str(scheming_store)})
    status, headers, page = fetch(server.url + "/id/program/scheming")
    assert status == 200
    hrefs = re.findall(r'(?:href|src|action)\s*=\s*"([^"]*)"', page, flags=re.IGNORECASE)
    assert hrefs and not [h for h in hrefs if re.match(r"\s*(javascript|data|vbscript|file):", h, re.IGNORECASE)]
    assert 'href="https://example.org/fine"' in page  # a web address still links out
    for iri in HOSTILE_IRIS:  # and the others are still shown, as text
        assert iri in page


def test_pages_send_a_content_security_policy_and_nosniff(live_server) -> None:
    for path in ("/", "/id/project-genome-data", "/ui", "/explore?iri=x", "/api/", "/ontology"):
        status, headers, _ = fetch(live_server.url + path)
        assert status < 500
        policy = headers["content-security-policy"]
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
        assert directives["script-src"] == "'self'"  # no inline script, no eval, no other origin
        assert directives["default-src"] == "'self'" and directives["object-src"] == "'none'"
        assert headers["x-content-type-options"] == "nosniff"
    status, headers, _ = fetch(live_server.url + "/api/queries/label-search?q=AMED", "*/*")
    assert status == 200 and headers["x-content-type-options"] == "nosniff"


def test_pages_carry_no_inline_script(live_server) -> None:
    for path in ("/", "/id/project-genome-data", "/ui", "/api/", "/ontology/diagram", "/explore"):
        _, _, page = fetch(live_server.url + path)
        for attributes, body in re.findall(r"<script([^>]*)>(.*?)</script>", page, flags=re.DOTALL):
            assert "src=" in attributes or 'type="application/json"' in attributes, (path, attributes, body[:80])
        assert not re.search(r"\son[a-z]+\s*=", page), path  # no inline event handlers either


BAD_SEGMENTS = ["a%20b", "%FF%FE", "%00", "x%0Ay", "%C0%AF", "%E2%80%AE", "..%2F..%2Fetc", "%25", "a%22b",
                "%3Cscript%3E", "a%7Bb%7D", "\u3042".encode().hex(), "%F0%9F%98%80", "a" * 3000, "%ED%A0%80",
                "javascript:alert(1)", "a%5Cb", "%7C", "a%60b", "%5E"]
PAGE_PATHS = ["/id/{}", "/id/program/{}", "/id/{}.ttl", "/id/{}.jsonld", "/resource?iri={}",
              "/resource?iri=https://w3id.org/healthkg/id/{}", "/resource?format={}&iri=urn:x",
              "/downloads/graph/{}.ttl", "/downloads/graph.ttl?graph={}", "/explore?iri={}",
              "/explore/neighbourhood?iri={}", "/explore/neighbourhood?iri=urn:x&fiscal_year={}",
              "/ontology.{}", "/ontology/{}", "/api/queries/{}", "/api/queries/label-search?q={}",
              "/api/queries/budget-lines?fiscal_year={}", "/api/queries/program-budget-series?program={}",
              "/search?q={}", "/search.json?q={}", "/lang/{}", "/lang/en?next={}", "/vendor/{}", "/static/{}",
              "/{}", "/?lang={}"]


def generated_paths(count: int) -> list[str]:
    """``count`` page paths: every template with every bad segment, then random byte soup."""
    paths = [template.format(segment) for template in PAGE_PATHS for segment in BAD_SEGMENTS]
    rng = random.Random(11)
    while len(paths) < count:
        soup = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 24)))
        paths.append(rng.choice(PAGE_PATHS).format(quote(soup, safe="")))
    return paths


def test_a_few_hundred_malformed_page_requests_get_no_5xx(live_server) -> None:
    statuses: dict[str, int] = {}
    for path in generated_paths(700):
        status, _, _ = fetch(live_server.url + path)
        statuses[path] = status
    errors = {path: status for path, status in statuses.items() if status >= 500}
    assert not errors, errors
    for path in ("/id/a%20b", "/id/%FF%FE", "/downloads/graph/a%20b.ttl", "/id/x%00y"):
        assert statuses.get(path, fetch(live_server.url + path)[0]) in (400, 404), path
