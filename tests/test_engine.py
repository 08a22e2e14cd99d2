"""The engine's one entry point, on the seed store: cache in front, evaluation under a deadline, typed errors.

Requests and errors must be plain data (they will cross into worker processes),
so they are checked by a pickle round trip.
"""

from __future__ import annotations

import json
import pickle
import time
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, Store, parse, serialize

from healthkg.engine import Engine, EngineSettings, GraphRead, Query
from healthkg.engine.backends import Dataset
from healthkg.engine.errors import EngineError, MalformedQuery, NotAcceptable, QueryTimeout, ResourceLimit
from healthkg.engine.formats import format_named
from healthkg.engine.result_cache import ENTRY_BYTES, CachedAnswer, ResultCache
from healthkg.engine.store import BuildInfo, write_store

LABELS = "SELECT ?s ?l WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l } ORDER BY ?s ?l"
JSON = format_named("json")


@pytest.fixture(scope="module")
def engine(seed_store: Path) -> Engine:
    return Engine(EngineSettings(seed_store))


def test_answers_are_cached_per_graph_version_and_can_bypass_the_cache(seed_store: Path) -> None:
    engine = Engine(EngineSettings(seed_store))
    first = engine.run(Query(LABELS, max_rows=3))
    assert (first.cache, first.complete, first.truncated, first.fmt) == ("miss", True, True, JSON)
    assert len(json.loads(first.body)["results"]["bindings"]) == 3
    again = engine.run(Query(LABELS, max_rows=3))
    assert again.cache == "hit" and again.body == first.body
    assert engine.run(Query(LABELS, max_rows=4)).cache == "miss"  # another cap, another answer
    assert engine.run(Query(LABELS, max_rows=3), use_cache=False).cache == "bypass"
    engine.update("INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/s> "
                  "<http://www.w3.org/2000/01/rdf-schema#label> \"a\" } }")
    assert engine.run(Query(LABELS, max_rows=3)).cache == "miss"  # the update made a new version


def test_graph_answers_in_each_format_and_json_ld_is_compacted(engine: Engine) -> None:
    text = "CONSTRUCT { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l } WHERE " \
           "{ ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l } LIMIT 20"
    triples = set(parse(engine.run(Query(text, graph_format="ntriples")).read(), format=RdfFormat.N_TRIPLES))
    compacted = engine.run(Query(text, graph_format="jsonld"))
    assert compacted.fmt == format_named("jsonld")
    document = json.loads(compacted.read())
    assert "@context" in document and len(triples) == 20
    assert set(parse(compacted.read(), format=RdfFormat.JSON_LD)) == triples


def test_answers_past_the_buffer_stream_unless_their_last_chunk_crossed_it(seed_store: Path) -> None:
    """A compacted JSON-LD graph is written in one piece at the end: whole, so it gets a length, as before
    compaction moved into the worker. A graph written in many chunks streams."""
    engine = Engine(EngineSettings(seed_store, buffer_bytes=1024))
    text = "CONSTRUCT WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?o }"
    compacted = engine.run(Query(text, graph_format="jsonld"), use_cache=False)
    assert compacted.complete and len(compacted.body) > 1024
    streamed = engine.run(Query(text, graph_format="ntriples"), use_cache=False)
    assert not streamed.complete
    whole = streamed.read()
    assert len(set(parse(whole, format=RdfFormat.N_TRIPLES))) == len(set(parse(compacted.body, format=RdfFormat.JSON_LD)))


def test_no_acceptable_format_is_refused_before_evaluation(engine: Engine) -> None:
    with pytest.raises(NotAcceptable) as refused:
        engine.run(Query("CONSTRUCT WHERE { ?s ?p ?o }", graph_format=None))
    assert refused.value.kind == "graph" and "text/turtle" in str(refused.value)


def test_malformed_queries_name_the_position(engine: Engine) -> None:
    with pytest.raises(MalformedQuery, match=r"malformed query: .*1:\d+"):
        engine.run(Query("SELECT * WHERE { ?s ?p }"))


def test_a_dataset_narrows_the_default_graph(engine: Engine, seed_store: Path) -> None:
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    graph = sorted(Store.read_only(str(seed_store / "db")).named_graphs(), key=lambda g: g.value)[0].value

    def n(query: Query) -> int:
        return int(json.loads(engine.run(query).read())["results"]["bindings"][0]["n"]["value"])

    assert 0 < n(Query(count, Dataset((graph,)))) < n(Query(count))


def test_a_graph_is_read_as_it_is_stored(engine: Engine) -> None:
    graph = "https://w3id.org/healthkg/graph/calendar"
    answer = engine.read_graph(GraphRead(graph, "ntriples"))
    assert answer.fmt == format_named("ntriples") and len(answer.read().splitlines()) > 10
    assert engine.graph_exists(graph) and not engine.graph_exists("http://example.org/none")


def test_requests_and_errors_are_plain_data(engine: Engine) -> None:
    """What crosses to an evaluation and back survives pickling: no store, no callback, no live object."""
    for request in (Query(LABELS, Dataset(("http://e/g",), ("http://e/n",)), "csv", None, 5, 1.5),
                    GraphRead(None, "turtle")):
        assert pickle.loads(pickle.dumps(request)) == request
    for error in (NotAcceptable("results"), MalformedQuery("malformed query: 1:2"), QueryTimeout("late")):
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error) and str(copy) == str(error) and isinstance(copy, EngineError)
    assert pickle.loads(pickle.dumps(NotAcceptable("graph"))).kind == "graph"


def test_a_query_past_its_deadline_times_out(tmp_path: Path) -> None:
    path = tmp_path / "store"
    graph = NamedNode("http://example.org/g")
    quads = [Quad(NamedNode(f"http://example.org/s{i}"), NamedNode("http://example.org/p"), Literal(i), graph)
             for i in range(2000)]
    write_store(path, serialize(quads, format=RdfFormat.N_QUADS) or b"",
                BuildInfo(built_at="2026-01-01T00:00:00+00:00", version="slow"))
    engine = Engine(EngineSettings(path, timeout=0.3))
    with pytest.raises(QueryTimeout, match="longer than the limit of 0.3 s"):
        engine.run(Query("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"))
    assert engine.run(Query("ASK { ?s ?p ?o }", timeout=10)).body == b'{"head":{},"boolean":true}'


def test_the_result_cache_is_bounded_by_bytes_and_evicts_the_least_recent() -> None:
    entry = ENTRY_BYTES  # every entry's charge besides its body
    cache = ResultCache(max_bytes=2 * entry + 10, max_entry_bytes=entry + 6)
    for name, body in (("a", b"1234"), ("b", b"5678"), ("huge", b"1234567")):
        cache.put((name,), CachedAnswer(JSON, body, False))
    assert cache.get(("huge",)) is None and cache.size == 2 * entry + 8  # over the entry limit: not kept
    assert cache.get(("a",)) is not None  # a is now the most recent
    cache.put(("c",), CachedAnswer(JSON, b"abcd", False))
    assert cache.get(("b",)) is None and cache.get(("a",)) and cache.get(("c",)) and cache.size == 2 * entry + 8
    cache.put(("c",), CachedAnswer(JSON, b"ab", False))
    assert cache.size == 2 * entry + 6


def test_empty_answers_count_against_the_cache_and_a_cache_of_zero_keeps_nothing() -> None:
    """An empty CONSTRUCT in N-Triples is b"": were it free, distinct empty queries would grow the cache forever."""
    bounded = ResultCache(max_bytes=100 * ENTRY_BYTES, max_entry_bytes=ENTRY_BYTES)
    off = ResultCache(max_bytes=0, max_entry_bytes=0)
    for n in range(1000):
        bounded.put((n,), CachedAnswer(JSON, b"", False))
        off.put((n,), CachedAnswer(JSON, b"", False))
    assert bounded.size <= 100 * ENTRY_BYTES and bounded.get((0,)) is None and bounded.get((999,)) is not None
    assert off.size == 0 and off.get((999,)) is None


def test_an_evaluator_that_copied_much_of_the_store_is_replaced_between_requests(seed_store: Path) -> None:
    """Reads of pyoxigraph's in-memory store write to its pages, so an evaluator that scanned it holds a copy;
    past its allowance, once no scan came for copy_seconds, it is replaced by a fresh fork (sharing the store
    again) after an answer has gone out."""
    from healthkg.engine.process_executor import ProcessExecutor

    engine = Engine(EngineSettings(seed_store, isolation="process", private_bytes=1, copy_seconds=0.2))
    executor = engine.executor
    assert isinstance(executor, ProcessExecutor)
    engine.start()
    first = executor.evaluator
    cheap = engine.run(Query("ASK { ?s ?p ?o }"), use_cache=False)
    executor.tidy()
    assert cheap.body == b'{"head":{},"boolean":true}' and executor.evaluator == first  # cheap: not even looked at
    scan = ("PREFIX hkg: <https://w3id.org/healthkg/ontology#> "
            "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d a hkg:Program . ?e a hkg:IntegratedProject }")
    assert int(json.loads(engine.run(Query(scan), use_cache=False).body)["results"]["bindings"][0]["n"]["value"]) > 0
    executor.tidy()
    assert executor.evaluator == first  # a scan may come next: the copy is kept for copy_seconds
    time.sleep(0.3)
    engine.run(Query("ASK { ?s ?p ?o }"), use_cache=False)  # answered by it, which then asks to retire
    assert executor.evaluator == first
    executor.tidy()
    assert executor.evaluator not in (None, first)
    assert not Path(f"/proc/{first}").exists()
    assert engine.run(Query("ASK { ?s ?p ?o }"), use_cache=False).body == b'{"head":{},"boolean":true}'
    executor.stop()


@pytest.mark.parametrize("isolation", ["thread", "process"])
def test_an_answer_cut_off_after_it_began_streaming_raises_what_stopped_it(seed_store: Path, isolation: str) -> None:
    """Read whole, an answer that passes the result limit after its first chunks is a result-limit error (no
    retry helps), not a timeout."""
    engine = Engine(EngineSettings(seed_store, isolation=isolation, buffer_bytes=1_000, result_bytes=200_000,
                                   cache_bytes=0))
    with pytest.raises(ResourceLimit, match="MAX_RESULT_BYTES"):
        engine.run(Query("SELECT * WHERE { ?s ?p ?o }")).read()
