"""The guard in front of pyoxigraph's parser: size limits named in the refusal, and the endpoints SERVICE and LOAD
may call resolved as the parser resolves them."""

from __future__ import annotations

import time

import pytest

from healthkg.engine.errors import QueryRefused, ServiceNotAllowed
from healthkg.engine.guard import QueryLimits, check
from healthkg.engine.writes import with_dataset

ALLOWED = "http://127.0.0.1:7878/query"
LIMITS = QueryLimits(max_chars=2000, max_tokens=300, max_depth=10)


@pytest.mark.parametrize(("text", "setting"), [
    ("ASK {}" + " " * 2000, "MAX_QUERY_CHARS"),
    ("ASK { FILTER(" + "+".join(["1"] * 200) + ") }", "MAX_QUERY_TOKENS"),
    ("ASK " + "{ " * 11 + "} " * 11, "MAX_QUERY_DEPTH"),
    ("ASK { ?s ?p " + "[ ?p " * 11 + "1" + " ]" * 11 + " }", "MAX_QUERY_DEPTH"),
])
def test_texts_past_a_limit_are_refused_naming_it(text: str, setting: str) -> None:
    with pytest.raises(QueryRefused, match=setting):
        check(text, LIMITS)


@pytest.mark.parametrize("text", [
    "ASK { ?s ?p '" + "{" * 50 + "' }",  # brackets in a string
    "ASK { ?s ?p <http://e/" + "(" * 50 + "> }",  # and in an IRI
    "ASK { ?s ?p ?o } # " + "[" * 50,  # and in a comment
    "ASK " + "{ } " * 50,  # many groups, none deep
])
def test_brackets_that_do_not_nest_pass(text: str) -> None:
    check(text, LIMITS)


def test_a_long_run_of_digits_is_refused_in_linear_time() -> None:
    started = time.perf_counter()
    with pytest.raises(QueryRefused, match="MAX_QUERY_TOKENS"):
        check("ASK {} " + "8" * 80_000, QueryLimits())
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize("text", [
    f"SELECT * WHERE {{ SERVICE <{ALLOWED}> {{ ?s ?p ?o }} }}",
    f"SELECT * WHERE {{ SERVICE SILENT <{ALLOWED}> {{ ?s ?p ?o }} }}",
    "PREFIX e: <http://127.0.0.1:7878/> SELECT * WHERE { service e:query { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE <http://127.0.0.1:7878/\\u0071uery> { ?s ?p ?o } }",  # \\u escapes are read in IRIs
    "SELECT * WHERE { ?s ?p 'SERVICE <http://evil/>' } # LOAD <http://evil/>",
])
def test_allowed_endpoints_pass(text: str) -> None:
    check(text, QueryLimits(), frozenset({ALLOWED}))


@pytest.mark.parametrize("text", [
    "SELECT * WHERE { SERVICE <http://127.0.0.1:9/x> { ?s ?p ?o } }",
    f"SELECT * WHERE {{ SERVICE <{ALLOWED}/> {{ ?s ?p ?o }} }}",  # exactly as written, nothing close
    "PREFIX e: <http://127.0.0.1:9/> SELECT * WHERE { SERVICE e:query { ?s ?p ?o } }",
    f"PREFIX e: <{ALLOWED}> PREFIX e: <http://127.0.0.1:9/> SELECT * WHERE {{ SERVICE e: {{ ?s ?p ?o }} }}",
    "BASE <http://127.0.0.1:7878/> SELECT * WHERE { SERVICE <query> { ?s ?p ?o } }",  # relative: refused
    "PREFIX e: <query> SELECT * WHERE { SERVICE e: { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE undeclared:x { ?s ?p ?o } }",
    f"SELECT * WHERE {{ BIND(<{ALLOWED}> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",  # a variable: refused
    "SELECT * WHERE { ?s ?p ?o .SERVICE <http://127.0.0.1:9/x> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o # a comment ended by a carriage return\rSERVICE <http://127.0.0.1:9/x> {} }",
    "LOAD <http://127.0.0.1:9/x>",
    "LOAD SILENT <http://127.0.0.1:9/x> INTO GRAPH <http://e/g>",
    f"LOAD <{ALLOWED}> ; LOAD <http://127.0.0.1:9/x>",
    "INSERT { ?s ?p ?o } WHERE { SERVICE <http://127.0.0.1:9/x> { ?s ?p ?o } }",
])
def test_other_targets_are_refused(text: str) -> None:
    with pytest.raises(ServiceNotAllowed, match="SERVICE_ENDPOINTS"):
        check(text, QueryLimits(), frozenset({ALLOWED}))


def test_using_graph_uri_is_written_before_each_where() -> None:
    text = ("PREFIX e: <http://e/> INSERT { GRAPH <http://g/out> { ?s e:q ?o } } WHERE { ?s e:p ?o } ; "
            "DELETE WHERE { GRAPH ?g { ?s e:p 2 } } ; INSERT DATA { <http://a> <http://b> <http://c> }")
    written = with_dataset(text, ("http://g/1",), ("http://g/2",))
    clause = "USING <http://g/1> USING NAMED <http://g/2> WHERE"
    assert written.count(clause) == 2
    assert "DELETE { GRAPH ?g { ?s e:p 2 } } " + clause + " { GRAPH ?g { ?s e:p 2 } }" in written
    assert written.endswith("INSERT DATA { <http://a> <http://b> <http://c> }")
    assert with_dataset(text, (), ()) == text
