"""Where queries run: the embedded pyoxigraph store or any SPARQL 1.1 endpoint.

Both answer with SPARQL 1.1 JSON results for SELECT/ASK and N-Triples for graph
queries, so the CLI and tests treat them alike.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from pyoxigraph import QueryBoolean, QueryResultsFormat, QuerySolutions, RdfFormat, Store
from SPARQLWrapper import JSON, N3, POST, SPARQLWrapper


class Backend(Protocol):
    def select(self, text: str) -> dict[str, Any]:
        """SPARQL JSON results of a SELECT or ASK query."""

    def construct(self, text: str) -> bytes:
        """N-Triples of a CONSTRUCT or DESCRIBE query."""


class LocalBackend:
    """Queries on a pyoxigraph store, the default graph being the union of all named graphs."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def select(self, text: str) -> dict[str, Any]:
        results = self.store.query(text, use_default_graph_as_union=True)
        if isinstance(results, QueryBoolean):
            return {"head": {}, "boolean": bool(results)}
        if not isinstance(results, QuerySolutions):
            raise ValueError("expected a SELECT or ASK query")
        return json.loads(results.serialize(format=QueryResultsFormat.JSON))

    def construct(self, text: str) -> bytes:
        results = self.store.query(text, use_default_graph_as_union=True)
        if isinstance(results, (QueryBoolean, QuerySolutions)):
            raise ValueError("expected a CONSTRUCT or DESCRIBE query")
        return results.serialize(format=RdfFormat.N_TRIPLES) or b""


class RemoteBackend:
    """Queries on a remote SPARQL 1.1 endpoint through SPARQLWrapper."""

    def __init__(self, endpoint: str, token: str | None = None) -> None:
        self.endpoint = endpoint
        self.token = token

    def _client(self, text: str) -> SPARQLWrapper:
        client = SPARQLWrapper(self.endpoint)
        client.setMethod(POST)
        client.setQuery(text)
        if self.token:
            client.addCustomHttpHeader("Authorization", f"Bearer {self.token}")
        return client

    def select(self, text: str) -> dict[str, Any]:
        client = self._client(text)
        client.setReturnFormat(JSON)
        return client.query().convert()  # type: ignore[no-any-return]

    def construct(self, text: str) -> bytes:
        client = self._client(text)
        client.setReturnFormat(N3)
        client.addCustomHttpHeader("Accept", "application/n-triples")
        response = client.query().response.read()
        return response if isinstance(response, bytes) else str(response).encode("utf-8")
