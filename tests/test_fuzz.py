"""A few thousand generated queries and page requests, none answered with a server error.

The generator is seeded, so a failure names a request that can be replayed: mutations of the shipped
queries (tokens dropped, doubled, swapped, replaced by awkward ones, texts cut short), token soup, sent
through each request shape of the protocol with odd Accept and Content-Type headers, and requests for
the pages and the API with odd paths and parameters. A 503 is allowed only for a query stopped at its
deadline; every other 5xx fails the test with the requests that caused it.
"""

from __future__ import annotations

import http.client
import random
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import pytest

from healthkg.engine.query_form import lex

pytestmark = pytest.mark.slow
ROOT = Path(__file__).parent.parent
QUERIES = sorted(p for folder in ("queries", "server", "bench/queries") for p in (ROOT / folder).rglob("*.rq"))
REQUESTS = 3000
AWKWARD = [
    "{", "}", "(", ")", "[", "]", ".", ";", ",", "*", "+", "-", "/", "|", "^", "^^", "!", "&&", "||", "=", "!=", "<",
    ">", "<=", "?", "$", "?x", "$y", "_:b", "a", "<>", "<http://e/>", "<urn:x>", "<\\u0041>", "<http://e/\\U0001F600>",
    ":", "ex:", "ex:a\\.b", "'", '"', "'''", '"""', "'x'@ja", '"1"^^<http://www.w3.org/2001/XMLSchema#integer>',
    '"\\u0022"', "'\\n'", "1", "-1.5e308", "9" * 40, "0x10", "true", "NaN", "#", "#\r", "\\", "\x00", "\u3000",
    "認知症", "\U0001F600", "\ud7ff", "SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "WHERE", "FILTER", "OPTIONAL",
    "UNION", "MINUS", "GRAPH", "SERVICE", "SILENT", "BIND", "AS", "VALUES", "UNDEF", "GROUP", "BY", "HAVING",
    "ORDER", "LIMIT", "OFFSET", "DISTINCT", "REDUCED", "FROM", "NAMED", "PREFIX", "BASE", "COUNT", "SUM", "SAMPLE",
    "REGEX", "STR", "LANG", "IRI", "BNODE", "EXISTS", "NOT", "IN", "INSERT", "DELETE", "DATA", "LOAD", "CLEAR",
    "DROP", "WITH", "USING", "<<", ">>", "TRIPLE", "SUBJECT", "LANGMATCHES", "ENCODE_FOR_URI", "NOW", "RAND",
]
ACCEPTS = [None, "*/*", "application/sparql-results+json", "text/csv", "text/tab-separated-values",
           "application/sparql-results+xml", "text/turtle", "application/n-triples", "application/ld+json",
           "application/rdf+xml", "application/n-quads", "application/trig", "text/html", "image/png",
           "text/*;q=0.5, */*;q=0.1", "application/json;q=x", "*/json", "text/csv;q=0", ";;,", "a/b;q=2",
           "text/turtle, application/sparql-results+json;q=0.9", "\xa0/\xff"]
CONTENT_TYPES = ["application/sparql-query", "application/sparql-query; charset=utf-8",
                 "application/sparql-query; charset=latin-1", "application/sparql-query; charset=\"utf-8\"",
                 "application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=utf-16",
                 "text/plain", "application/sparql-update", "multipart/form-data; boundary=x", "", "a"]
PAGE_PATHS = ["/", "/ui", "/ontology", "/ontology/diagram", "/ontology/context.jsonld", "/explore", "/downloads/",
              "/.well-known/void", "/void", "/healthz", "/metrics", "/api/", "/api/queries", "/api/openapi.json",
              "/store", "/sparql", "/resource"]
SEGMENTS = ["program", "project-genome-data", "document", "allocation", "x", "..", ".", "a.ttl", "a.jsonld", "a.nt",
            "a.rdf", "認知症", "%E8%AA%8D", "%2F", "%00", "a+b", "a;b", "~", "id", "graph", "(", "'", "<b>",
            "javascript:alert(1)", "9" * 300]
PARAMETER_VALUES = ["", "1", "-1", "2020", "99999999999999999999", "cancer", "amed", "ゲノム", "文科省",
                    "https://w3id.org/healthkg/id/project-genome-data", "id:project-genome-data", "http://e/", "x:y",
                    "<script>", "'", "\"", "%", "\u0000", "SELECT", "json", "csv", "turtle", "jsonld", "nope",
                    "true", "2020-01-01", "a" * 3000]


def _mutate(rng: random.Random, text: str) -> str:
    tokens = [value for _, value in lex(text)]
    for _ in range(rng.randint(1, 4)):
        if not tokens:
            break
        at = rng.randrange(len(tokens))
        operation = rng.random()
        if operation < 0.25:
            del tokens[at]
        elif operation < 0.45:
            tokens.insert(at, tokens[at])
        elif operation < 0.6:
            other = rng.randrange(len(tokens))
            tokens[at], tokens[other] = tokens[other], tokens[at]
        elif operation < 0.9:
            tokens[at] = rng.choice(AWKWARD) + rng.choice(["", " "])
        else:
            tokens = tokens[:at]
    return "".join(tokens)


def _query_text(rng: random.Random, shipped: list[str]) -> str:
    if rng.random() < 0.8:
        return _mutate(rng, rng.choice(shipped))
    return " ".join(rng.choice(AWKWARD) for _ in range(rng.randint(1, 40)))


def _query_request(rng: random.Random, shipped: list[str]) -> tuple[str, str, bytes | None, dict[str, str]]:
    text = _query_text(rng, shipped)
    headers = {"Cache-Control": "no-cache"}
    accept = rng.choice(ACCEPTS)
    if accept is not None:
        headers["Accept"] = accept
    params: list[tuple[str, str]] = []
    if rng.random() < 0.1:
        params.append((rng.choice(["default-graph-uri", "named-graph-uri", "using-graph-uri"]),
                       rng.choice(["http://e/g", "https://w3id.org/healthkg/graph/ontology", "not an iri", ""])))
    shape = rng.random()
    if shape < 0.4:
        return "GET", "/sparql?" + urlencode([("query", text), *params]), None, headers
    if shape < 0.7:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        return "POST", "/sparql", urlencode([("query", text), *params]).encode(), headers
    headers["Content-Type"] = rng.choice(CONTENT_TYPES) if rng.random() < 0.2 else "application/sparql-query"
    body = text.encode("utf-8", "surrogatepass") if rng.random() < 0.95 else bytes(rng.randrange(256)
                                                                                   for _ in range(40))
    return "POST", "/sparql?" + urlencode(params), body, headers


def _page_request(rng: random.Random, names: list[str]) -> tuple[str, str, bytes | None, dict[str, str]]:
    headers: dict[str, str] = {}
    accept = rng.choice(ACCEPTS)
    if accept is not None:
        headers["Accept"] = accept
    kind = rng.random()
    if kind < 0.3:
        path = "/id/" + "/".join(rng.choice(SEGMENTS) for _ in range(rng.randint(1, 3)))
    elif kind < 0.45:
        path = "/api/queries/" + rng.choice(names + ["nope", "..", "budget-lines.json"])
    elif kind < 0.55:
        path = "/downloads/" + rng.choice(["dataset.nq", "dataset.trig", "graph/ontology.ttl", "graph/x.ttl",
                                           "graph/" + rng.choice(SEGMENTS), "nope"])
    else:
        path = rng.choice(PAGE_PATHS)
    params = [(rng.choice(["iri", "format", "area", "project", "fiscal_year", "route", "q", "lang", "year",
                           "ministry", "graph", "default", "depth", "endpoint", "status"]),
               rng.choice(PARAMETER_VALUES)) for _ in range(rng.randint(0, 3))]
    if params:
        path += "?" + urlencode(params)
    method = rng.choice(["GET", "GET", "GET", "HEAD", "POST", "OPTIONS", "PUT", "DELETE"])
    body = b"x=1" if method in ("POST", "PUT") else None
    if body is not None:
        headers["Content-Type"] = rng.choice(CONTENT_TYPES)
    return method, path, body, headers


def test_generated_requests_get_no_server_error(seed_store: Path, serve_app, http_client) -> None:
    live_server = serve_app({"STORE_PATH": str(seed_store), "QUERY_TIMEOUT": 2, "ACCESS_LOG": False})
    rng = random.Random(20261206)
    shipped = [path.read_text(encoding="utf-8") for path in QUERIES]
    names = [path.stem for path in (ROOT / "queries").glob("*.rq")]
    parts = urlsplit(live_server.url)
    failures: list[str] = []
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    for number in range(REQUESTS):
        method, path, body, headers = (_query_request(rng, shipped) if number % 2 == 0
                                       else _page_request(rng, names))
        try:
            connection.request(method, quote(path, safe="/?&=%:+;,@!$'()*~"), body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read()
        except (http.client.HTTPException, OSError) as error:
            failures.append(f"{number}: {method} {path[:200]} {headers}: {type(error).__name__} {error}")
            connection.close()
            continue
        finally:
            connection.close()
        timed_out = response.status == 503 and b"longer than the limit" in answer
        if response.status >= 500 and not timed_out:
            failures.append(f"{number}: {method} {path[:300]} {headers} {body[:300] if body else b''!r} -> "
                            f"{response.status} {answer[:200]!r}")
    assert not failures, f"{len(failures)} server errors:\n" + "\n".join(failures[:20])
    assert http_client.request(f"{live_server.url}/healthz")[0] == 200
