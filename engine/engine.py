"""The one way a query is answered: the guard, the result cache, then a contained evaluation.

Every query the server runs (``/sparql``, the named-query API, the pages',
the explorer's, the service description's figures) goes through
:meth:`Engine.run`, so limits, the endpoints SERVICE may call, caching and
errors are the same whichever door it came through. The text passes the guard
(:mod:`.guard`: size, nesting, allowed endpoints) before anything parses it;
the evaluation runs in an :class:`~healthkg.engine.executor.Executor`: an
evaluator process killed at its deadline or limits for the server
(:mod:`.process_executor`), worker threads for embedding. Writes and graph
reads go through the engine too, so it alone holds the store.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyoxigraph import Store

from healthkg.engine import guard
from healthkg.engine.errors import MalformedQuery, NotAcceptable, NotAQuery
from healthkg.engine.executor import Executor, ThreadExecutor
from healthkg.engine.formats import format_named
from healthkg.engine.guard import QueryLimits
from healthkg.engine.process_executor import EvaluatorLimits, ProcessExecutor
from healthkg.engine.query_form import shape
from healthkg.engine.requests import Answer, GraphRead, Query, UpdateRehearsal
from healthkg.engine.result_cache import CachedAnswer, ResultCache, cache_key
from healthkg.engine.served_graph import ServedGraph, Snapshot
from healthkg.engine.writes import delete_graph, graph_exists, update, write_graph

MiB = 1024 * 1024


@dataclass(frozen=True)
class EngineSettings:
    """What the engine is configured with; the server maps its settings onto these."""

    store_path: Path
    in_memory: bool = True
    backend_url: str | None = None  # a remote SPARQL 1.1 endpoint instead of the embedded store
    backend_token: str | None = None
    timeout: float = 30.0  # seconds per query unless the query names its own
    reload_interval: float = 0.0  # seconds between looks for a new build; 0 never reloads
    workers: int = 8  # threads of the "thread" isolation
    buffer_bytes: int = MiB  # answers up to this size are handed over whole, larger ones stream
    cache_bytes: int = 16 * MiB  # 0 turns the result cache off
    cache_entry_bytes: int = MiB
    # "process": evaluations in a child process that is killed at its deadline or limits (the server's);
    # "thread": in worker threads of this process, which a runaway query keeps busy (for embedding and tests).
    isolation: str = "thread"
    memory_bytes: int = 1024 * MiB  # per evaluation, beyond the store ("process" only)
    private_bytes: int = 64 * MiB  # an evaluator's own copies of store pages, past which it is replaced …
    copy_seconds: float = 30.0  # … once no scan came for this long
    result_bytes: int = 256 * MiB  # bytes of one answer
    limits: QueryLimits = QueryLimits()
    service_endpoints: frozenset[str] = frozenset()  # what SERVICE and LOAD may call; empty: nothing


def check_formats(query: Query) -> None:
    """Raise :class:`NotAcceptable` when the query's kind of result has no format the caller takes,
    :class:`NotAQuery` for an update.

    Read from the query's keywords, before any evaluation; a text whose form cannot be read
    is left to the parser.
    """
    query_shape = shape(query.text)
    if query_shape.is_update:
        raise NotAQuery("this is an update, not a query: send it with POST as update= or application/sparql-update")
    if query_shape.form and (query.graph_format if query_shape.is_graph else query.results_format) is None:
        raise NotAcceptable("graph" if query_shape.is_graph else "results")


class Engine:
    """The served graph, the result cache and the executor, behind :meth:`run`."""

    def __init__(self, settings: EngineSettings, *, on_timeout: Callable[[], None] = lambda: None,
                 on_cache: Callable[[str], None] = lambda use: None) -> None:
        """``on_timeout`` is called for each query stopped at its deadline, ``on_cache`` with each answer's
        use of the result cache (``hit``, ``miss``, ``bypass``)."""
        self.settings = settings
        self.on_cache = on_cache
        self.graph = ServedGraph(settings.store_path, in_memory=settings.in_memory, backend_url=settings.backend_url,
                                 backend_token=settings.backend_token, timeout=settings.timeout,
                                 reload_interval=settings.reload_interval)
        self.cache = ResultCache(settings.cache_bytes, settings.cache_entry_bytes)
        self.executor: Executor
        if settings.isolation == "process":
            self.executor = ProcessExecutor(EvaluatorLimits(settings.memory_bytes, settings.result_bytes,
                                                            settings.buffer_bytes,
                                                            private_bytes=settings.private_bytes,
                                                            copy_seconds=settings.copy_seconds), on_timeout)
        elif settings.isolation == "thread":
            self.executor = ThreadExecutor(settings.workers, settings.buffer_bytes, on_timeout, settings.result_bytes)
        else:
            raise ValueError(f"isolation must be 'process' or 'thread', not {settings.isolation!r}")

    def check(self, text: str) -> None:
        """Refuse a text past the parser's limits, or one whose SERVICE or LOAD calls an endpoint not allowed."""
        guard.check(text, self.settings.limits, self.settings.service_endpoints)

    def snapshot(self) -> Snapshot:
        """The graph as it is now; pass it to :meth:`run` to answer several queries from one build."""
        return self.graph.snapshot()

    def run(self, query: Query, *, use_cache: bool = True, snapshot: Snapshot | None = None) -> Answer:
        """The answer to ``query``: from the result cache, else evaluated within its deadline.

        Raises :class:`NotAcceptable` before any evaluation when the query's kind of result has
        no format the caller takes, :class:`MalformedQuery` with the parser's position,
        :class:`~healthkg.engine.errors.QueryTimeout` at the deadline, and the backend's errors.
        """
        self.check(query.text)
        check_formats(query)
        snapshot = snapshot or self.snapshot()
        key = cache_key(snapshot.version, query)
        if use_cache and (cached := self.cache.get(key)) is not None:
            self.on_cache("hit")
            return Answer(cached.fmt, [cached.body], complete=True, truncated=cached.truncated, cache="hit")
        self.on_cache("miss" if use_cache else "bypass")
        try:
            answer = self.executor.run(snapshot, query, self._timeout(query.timeout))
        except SyntaxError as error:
            raise MalformedQuery(f"malformed query: {error}") from None
        answer.cache = "miss" if use_cache else "bypass"
        if use_cache and answer.complete:
            self.cache.put(key, CachedAnswer(answer.fmt, answer.body, answer.truncated))
        return answer

    def select(self, text: str, snapshot: Snapshot | None = None) -> dict[str, Any]:
        """The SPARQL JSON results of a SELECT or ASK, through :meth:`run` like any other query."""
        return json.loads(self.run(Query(text, results_format="json"), snapshot=snapshot).read())

    def read_graph(self, request: GraphRead) -> Answer:
        """One graph of the embedded store as it is stored, under the request's deadline."""
        format_named(request.format)  # a bad name fails here, not in a worker
        return self.executor.run(self.snapshot(), request, self._timeout(request.timeout))

    def graph_exists(self, graph: str | None) -> bool:
        return graph_exists(self._store(), graph)

    def update(self, text: str, base_iri: str | None = None) -> None:
        """Run a SPARQL update on the served in-memory store; cached answers expire.

        With evaluator processes, the update is first rehearsed in the evaluator (which is then
        replaced), so one that would not end within the deadline and memory limit, or would not
        parse, never touches the served store.
        """
        self.check(text)
        snapshot = self.snapshot()
        store = snapshot.store  # EmbeddedStoreRequired over a remote endpoint
        if self.executor.isolated:
            try:
                self.executor.run(snapshot, UpdateRehearsal(text, base_iri), self._timeout(None))
            except SyntaxError as error:
                raise MalformedQuery(f"malformed update: {error}") from None
        update(store, text, base_iri)
        self._changed()

    def start(self) -> None:
        """Get ready to evaluate: fork the evaluator process now rather than at the first request."""
        if isinstance(self.executor, ProcessExecutor):
            self.executor.start(self.snapshot())

    def write_graph(self, graph: str | None, body: bytes, media_type: str, base_iri: str, *, replace: bool) -> bool:
        """Store a graph body (see :func:`healthkg.engine.writes.write_graph`); True when the graph is new."""
        created = write_graph(self._store(), graph, body, media_type, base_iri, replace=replace)
        self._changed()
        return created

    def delete_graph(self, graph: str | None) -> None:
        delete_graph(self._store(), graph)
        self._changed()

    def _changed(self) -> None:
        """The served store was written: cached answers expire, and an evaluator process is forked again
        (by the writing request, so the next reader does not wait for it)."""
        self.graph.changed()
        self.start()

    def _store(self) -> Store:
        return self.snapshot().store  # EmbeddedStoreRequired over a remote endpoint

    def _timeout(self, timeout: float | None) -> float:
        return self.settings.timeout if timeout is None else timeout
