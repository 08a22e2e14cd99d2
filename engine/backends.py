"""Where queries run: the embedded pyoxigraph store or any SPARQL 1.1 endpoint.

Both answer with SPARQL 1.1 JSON results for SELECT/ASK and N-Triples for graph
queries, so the CLI and tests treat them alike; and both stream a query's
results in a negotiated format into a :class:`Sink`, which is how the server
reads the graph whichever engine holds it.

The default graph of a query is the union of all named graphs, unless the
request names its own dataset: the protocol's ``default-graph-uri`` and
``named-graph-uri`` (which win, as SPARQL 1.1 Protocol §2.1.4 requires) or the
query's ``FROM``/``FROM NAMED``. A remote endpoint decides its default graph
itself; run it with its union-default-graph option for the same answers.
"""

from __future__ import annotations

import json
import socket
import urllib.error
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from pyoxigraph import (
    DefaultGraph,
    NamedNode,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    QueryTriples,
    RdfFormat,
    Store,
    Triple,
    serialize,
)

if TYPE_CHECKING:
    from SPARQLWrapper import SPARQLWrapper

from healthkg.engine.errors import BackendError, BackendTimeout, NotAcceptable
from healthkg.engine.formats import Format, by_media_type
from healthkg.engine.query_form import QUERY_FORMS, shape
from healthkg.engine.results import CHUNK_BYTES, SolutionsWriter

N_TRIPLES = "application/n-triples"


@dataclass(frozen=True)
class Dataset:
    """An RDF dataset given by the protocol (graph IRIs); empty means "the query's own or the default"."""

    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.default_graphs or self.named_graphs)


@dataclass(frozen=True)
class FormatChoice:
    """The negotiated format for each kind of result; ``None`` where the client accepts none."""

    results: Format | None
    graph: Format | None

    def accept_header(self) -> str:
        types = [f.media_type for f in (self.results, self.graph) if f is not None]
        return ", ".join(types)


class Sink(Protocol):
    """Receives a streamed result: its format once, then its bytes in order."""

    def start(self, fmt: Format) -> None: ...

    def write(self, chunk: bytes) -> None: ...


class Backend(Protocol):
    def select(self, text: str) -> dict[str, Any]:
        """SPARQL JSON results of a SELECT or ASK query."""

    def construct(self, text: str) -> bytes:
        """N-Triples of a CONSTRUCT or DESCRIBE query."""

    def stream(self, text: str, dataset: Dataset, choice: FormatChoice, sink: Sink,
               max_rows: int | None = None) -> bool:
        """Run a query and write its results into ``sink``; True when ``max_rows`` cut them short.

        Raises :class:`SyntaxError` (with the parser's position) for a malformed query.
        """


class _Batched:
    """A file-like writer for pyoxigraph that hands the sink chunks of a useful size."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.size += len(data)
        if self.size >= CHUNK_BYTES:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self.parts:
            self.sink.write(b"".join(self.parts))
            self.parts, self.size = [], 0


class _Capped:
    """The triples of a graph result up to a cap, remembering whether it cut any off."""

    def __init__(self, triples: QueryTriples, limit: int | None) -> None:
        self.triples = triples
        self.limit = limit
        self.truncated = False

    def __iter__(self) -> Iterator[Triple]:
        for count, triple in enumerate(self.triples):
            if self.limit is not None and count >= self.limit:
                self.truncated = True
                return
            yield triple


class LocalBackend:
    """Queries on a pyoxigraph store, the default graph being the union of all named graphs."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _query(self, text: str, dataset: Dataset = Dataset()) -> QueryBoolean | QuerySolutions | QueryTriples:
        if dataset:
            return self.store.query(text, default_graph=[NamedNode(g) for g in dataset.default_graphs],
                                    named_graphs=[NamedNode(g) for g in dataset.named_graphs])
        if shape(text).dataset_clause:
            return self.store.query(text)  # the union option would override the query's FROM
        return self.store.query(text, use_default_graph_as_union=True)

    def select(self, text: str) -> dict[str, Any]:
        results = self._query(text)
        if isinstance(results, QueryBoolean):
            return {"head": {}, "boolean": bool(results)}
        if not isinstance(results, QuerySolutions):
            raise ValueError("expected a SELECT or ASK query")
        return json.loads(results.serialize(format=QueryResultsFormat.JSON))  # type: ignore[arg-type]

    def construct(self, text: str) -> bytes:
        results = self._query(text)
        if not isinstance(results, QueryTriples):
            raise ValueError("expected a CONSTRUCT or DESCRIBE query")
        return serialize(results, format=RdfFormat.N_TRIPLES) or b""

    def stream(self, text: str, dataset: Dataset, choice: FormatChoice, sink: Sink,
               max_rows: int | None = None) -> bool:
        """See :class:`Backend`. Results are written row by row, so they stop at ``max_rows``."""
        results = self._query(text, dataset)
        if isinstance(results, QueryTriples):
            if choice.graph is None:
                raise NotAcceptable("graph")
            sink.start(choice.graph)
            capped = _Capped(results, max_rows)
            out = _Batched(sink)
            serialize(capped, out, choice.graph.rdf_format, prefixes=shape(text).prefixes or None)  # type: ignore[arg-type]
            out.flush()
            return capped.truncated
        if choice.results is None:
            raise NotAcceptable("results")
        writer = SolutionsWriter(choice.results.name, max_rows)
        sink.start(choice.results)
        if isinstance(results, QueryBoolean):
            sink.write(writer.boolean(bool(results)))
            return False
        for chunk in writer.chunks([v.value for v in results.variables], results):
            sink.write(chunk)
        return writer.truncated

    def stream_graph(self, graph: NamedNode | DefaultGraph, fmt: Format, sink: Sink) -> bool:
        """Write one graph of the store as it is (the Graph Store Protocol's GET)."""
        sink.start(fmt)
        out = _Batched(sink)
        serialize((quad.triple for quad in self.store.quads_for_pattern(None, None, None, graph)), out,  # type: ignore[arg-type]
                  fmt.rdf_format)
        out.flush()
        return False

    def update(self, text: str, base_iri: str | None = None) -> None:
        self.store.update(text, base_iri=base_iri)


class RemoteBackend:
    """Queries on a remote SPARQL 1.1 endpoint through SPARQLWrapper.

    Results stream through in the format the endpoint answers with; the row
    cap is the endpoint's own.
    """

    def __init__(self, endpoint: str, token: str | None = None, timeout: float | None = None) -> None:
        self.endpoint = endpoint
        self.token = token
        self.timeout = timeout

    def _client(self, text: str, dataset: Dataset = Dataset()) -> SPARQLWrapper:
        from SPARQLWrapper import POST, SPARQLWrapper  # the embedded store, the default, never needs it

        client = SPARQLWrapper(self.endpoint)
        client.setMethod(POST)
        client.setQuery(text)
        form = shape(text).form
        if form in QUERY_FORMS:
            # SPARQLWrapper guesses the form with a regex that reads words in comments (an
            # "added" in a comment makes it an ADD update, sent as update=); ours skips them.
            client.queryType = form
        for graph in dataset.default_graphs:
            client.addDefaultGraph(graph)
        for graph in dataset.named_graphs:
            client.addNamedGraph(graph)
        if self.timeout:
            client.setTimeout(int(self.timeout + 0.999))
        if self.token:
            client.addCustomHttpHeader("Authorization", f"Bearer {self.token}")
        return client

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """The endpoint's failures as SyntaxError (with its message), BackendTimeout or BackendError."""
        from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, SPARQLWrapperException

        try:
            yield
        except QueryBadFormed as error:
            raise SyntaxError(str(error).split("Response:", 1)[-1].strip()) from error
        except SPARQLWrapperException as error:
            raise BackendError(f"{self.endpoint}: {error}") from error
        except TimeoutError as error:
            raise BackendTimeout(f"{self.endpoint} did not answer within {self.timeout} s") from error
        except urllib.error.URLError as error:
            if isinstance(error.reason, (TimeoutError, socket.timeout)):
                raise BackendTimeout(f"{self.endpoint} did not answer within {self.timeout} s") from error
            raise BackendError(f"{self.endpoint}: {error.reason}") from error

    def select(self, text: str) -> dict[str, Any]:
        from SPARQLWrapper import JSON

        client = self._client(text)
        client.setReturnFormat(JSON)
        with self._errors():
            results = client.query().convert()
        if not isinstance(results, dict):
            raise BackendError(f"{self.endpoint} did not answer with SPARQL JSON results")
        return results

    def construct(self, text: str) -> bytes:
        from SPARQLWrapper import N3

        client = self._client(text)
        client.setReturnFormat(N3)
        client.addCustomHttpHeader("Accept", N_TRIPLES)
        with self._errors():
            response = client.query().response.read()
        return response if isinstance(response, bytes) else str(response).encode("utf-8")

    def stream(self, text: str, dataset: Dataset, choice: FormatChoice, sink: Sink,
               max_rows: int | None = None) -> bool:
        query_shape = shape(text)
        wanted = choice.graph if query_shape.is_graph else choice.results if query_shape.form else None
        if query_shape.form and wanted is None:
            raise NotAcceptable("graph" if query_shape.is_graph else "results")
        client = self._client(text, dataset)
        client.addCustomHttpHeader("Accept", wanted.media_type if wanted else choice.accept_header())
        with self._errors():
            response = client.query().response
            fmt = by_media_type(response.headers.get("Content-Type", ""))
            if fmt is None:
                raise BackendError(f"{self.endpoint} answered with {response.headers.get('Content-Type')!r}")
            sink.start(fmt)
            while chunk := response.read(CHUNK_BYTES):
                sink.write(chunk)
        return False
