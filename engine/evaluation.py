"""One request evaluated against one backend, its answer written into a sink: what a worker runs.

Everything the evaluation needs is in the request (plain data) and the backend
it is given, and everything it produces goes into the sink (a format, then
bytes), so it can run wherever the backend is: a worker thread now, a worker
process holding the same store later.

JSON-LD is the one format written in two steps: the backend writes N-Triples,
which are compacted with the ontology's context once complete
(:func:`healthkg.engine.jsonld.compact`), so a JSON-LD answer is held in
memory whole, up to the row cap.
"""

from __future__ import annotations

from pyoxigraph import DefaultGraph, NamedNode

from healthkg.engine.backends import Backend, FormatChoice, LocalBackend, Sink
from healthkg.engine.errors import EmbeddedStoreRequired, ResourceLimit
from healthkg.engine.formats import Format, format_named
from healthkg.engine.jsonld import compact
from healthkg.engine.requests import GraphRead, Query, Request, UpdateRehearsal

N_TRIPLES = format_named("ntriples")
JSON_LD = format_named("jsonld")


class _Compacting:
    """A sink that passes a result set through but holds N-Triples back, to write them as compacted JSON-LD."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.ntriples: list[bytes] | None = None

    def start(self, fmt: Format) -> None:
        if fmt == N_TRIPLES:
            self.ntriples = []
        else:
            self.sink.start(fmt)

    def write(self, chunk: bytes) -> None:
        if self.ntriples is None:
            self.sink.write(chunk)
        else:
            self.ntriples.append(chunk)

    def finish(self) -> None:
        if self.ntriples is not None:
            self.sink.start(JSON_LD)
            self.sink.write(compact(b"".join(self.ntriples)))


class _Limited:
    """A sink that stops an answer growing past ``max_bytes`` (:class:`ResourceLimit`)."""

    def __init__(self, sink: Sink, max_bytes: int) -> None:
        self.sink = sink
        self.max_bytes = max_bytes
        self.size = 0

    def start(self, fmt: Format) -> None:
        self.sink.start(fmt)

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise ResourceLimit(f"the answer grew past the limit of {self.max_bytes:,} bytes (MAX_RESULT_BYTES) "
                                "and was cut off; narrow the query down or add a LIMIT")
        self.sink.write(chunk)


def evaluate(backend: Backend, request: Request, sink: Sink, max_bytes: int | None = None) -> bool:
    """Write the answer to ``request`` into ``sink``; True when the row cap cut it short.

    Raises SyntaxError for a malformed query, :class:`ResourceLimit` past ``max_bytes``, and the
    engine's errors (not acceptable, backend failures, no embedded store) as they arise.
    """
    if max_bytes is not None:
        sink = _Limited(sink, max_bytes)
    if isinstance(request, UpdateRehearsal):
        _local(backend).update(request.text, request.base_iri)
        return False
    if isinstance(request, GraphRead):
        graph = DefaultGraph() if request.graph is None else NamedNode(request.graph)
        return _local(backend).stream_graph(graph, format_named(request.format), sink)
    return _query(backend, request, sink)


def _local(backend: Backend) -> LocalBackend:
    if not isinstance(backend, LocalBackend):
        raise EmbeddedStoreRequired("graphs are read and written in the embedded store; this server reads a "
                                    "remote endpoint")
    return backend


def _query(backend: Backend, query: Query, sink: Sink) -> bool:
    results = format_named(query.results_format) if query.results_format else None
    graph = format_named(query.graph_format) if query.graph_format else None
    if graph != JSON_LD:
        return backend.stream(query.text, query.dataset, FormatChoice(results, graph), sink, query.max_rows)
    compacting = _Compacting(sink)
    truncated = backend.stream(query.text, query.dataset, FormatChoice(results, N_TRIPLES), compacting,
                               query.max_rows)
    compacting.finish()
    return truncated
