"""The one way a query is answered: the result cache, then an evaluation under a deadline.

Every query the server runs (``/sparql``, the named-query API, the pages',
the explorer's, the service description's figures) goes through
:meth:`Engine.run`, so limits, caching and errors are the same whichever door
it came through, and making evaluation safer (worker processes that can be
killed) changes this one place: the :class:`~healthkg.engine.executor.Executor`.
Writes and graph reads go through the engine too, so it alone holds the store.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyoxigraph import Store

from healthkg.engine.errors import MalformedQuery, NotAcceptable
from healthkg.engine.executor import Executor, ThreadExecutor
from healthkg.engine.formats import format_named
from healthkg.engine.query_form import shape
from healthkg.engine.requests import Answer, GraphRead, Query
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
    workers: int = 8
    buffer_bytes: int = MiB  # answers up to this size are handed over whole, larger ones stream
    cache_bytes: int = 16 * MiB  # 0 turns the result cache off
    cache_entry_bytes: int = MiB


def check_formats(query: Query) -> None:
    """Raise :class:`NotAcceptable` when the query's kind of result has no format the caller takes.

    Read from the query's keywords, before any evaluation; a text whose form cannot be read
    is left to the parser.
    """
    query_shape = shape(query.text)
    if query_shape.form and (query.graph_format if query_shape.is_graph else query.results_format) is None:
        raise NotAcceptable("graph" if query_shape.is_graph else "results")


class Engine:
    """The served graph, the result cache and the executor, behind :meth:`run`."""

    def __init__(self, settings: EngineSettings, *, on_timeout: Callable[[], None] = lambda: None,
                 executor: Executor | None = None) -> None:
        self.settings = settings
        self.graph = ServedGraph(settings.store_path, in_memory=settings.in_memory, backend_url=settings.backend_url,
                                 backend_token=settings.backend_token, timeout=settings.timeout,
                                 reload_interval=settings.reload_interval)
        self.cache = ResultCache(settings.cache_bytes, settings.cache_entry_bytes)
        self.executor = executor or ThreadExecutor(settings.workers, settings.buffer_bytes, on_timeout)

    def snapshot(self) -> Snapshot:
        """The graph as it is now; pass it to :meth:`run` to answer several queries from one build."""
        return self.graph.snapshot()

    def run(self, query: Query, *, use_cache: bool = True, snapshot: Snapshot | None = None) -> Answer:
        """The answer to ``query``: from the result cache, else evaluated within its deadline.

        Raises :class:`NotAcceptable` before any evaluation when the query's kind of result has
        no format the caller takes, :class:`MalformedQuery` with the parser's position,
        :class:`~healthkg.engine.errors.QueryTimeout` at the deadline, and the backend's errors.
        """
        check_formats(query)
        snapshot = snapshot or self.snapshot()
        key = cache_key(snapshot.version, query)
        if use_cache and (cached := self.cache.get(key)) is not None:
            return Answer(cached.fmt, [cached.body], complete=True, truncated=cached.truncated, cache="hit")
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
        return json.loads(self.run(Query(text, results_format="json"), snapshot=snapshot).read())  # type: ignore[no-any-return]

    def read_graph(self, request: GraphRead) -> Answer:
        """One graph of the embedded store as it is stored, under the request's deadline."""
        format_named(request.format)  # a bad name fails here, not in a worker
        return self.executor.run(self.snapshot(), request, self._timeout(request.timeout))

    def graph_exists(self, graph: str | None) -> bool:
        return graph_exists(self._store(), graph)

    def update(self, text: str, base_iri: str | None = None) -> None:
        """Run a SPARQL update on the served in-memory store; cached answers expire."""
        update(self._store(), text, base_iri)
        self.graph.changed()

    def write_graph(self, graph: str | None, body: bytes, media_type: str, base_iri: str, *, replace: bool) -> bool:
        """Store a graph body (see :func:`healthkg.engine.writes.write_graph`); True when the graph is new."""
        created = write_graph(self._store(), graph, body, media_type, base_iri, replace=replace)
        self.graph.changed()
        return created

    def delete_graph(self, graph: str | None) -> None:
        delete_graph(self._store(), graph)
        self.graph.changed()

    def _store(self) -> Store:
        return self.snapshot().store  # EmbeddedStoreRequired over a remote endpoint

    def _timeout(self, timeout: float | None) -> float:
        return self.settings.timeout if timeout is None else timeout
