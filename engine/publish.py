"""Loading a built store into another engine through the SPARQL 1.1 Graph Store HTTP Protocol.

Graph by graph, each named graph is sent with ``PUT <endpoint>?graph=<iri>``
(https://www.w3.org/TR/sparql11-http-rdf-update/ §5.3), which replaces the
remote graph whole, so publishing the same build twice leaves the same
remote graphs. The default graph, when the build has one, goes to
``?default``. Any answer other than 200/201/204 stops the run with the
remote's message; graphs sent before stay published.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from pyoxigraph import DefaultGraph, NamedNode, RdfFormat, Store, serialize

from healthkg.engine.store import open_store

N_TRIPLES = "application/n-triples"


class PublishError(RuntimeError):
    """The remote store refused a graph or could not be reached; names the graph and the answer."""


@dataclass(frozen=True)
class PublishedGraph:
    graph: str
    triples: int
    status: int


def _graphs(store: Store) -> list[NamedNode | DefaultGraph]:
    graphs: list[NamedNode | DefaultGraph] = [graph for graph in sorted(store.named_graphs(), key=str)
                                              if isinstance(graph, NamedNode)]
    if next(iter(store.quads_for_pattern(None, None, None, DefaultGraph())), None) is not None:
        graphs.insert(0, DefaultGraph())
    return graphs


def _put(url: str, body: bytes, token: str | None, timeout: float) -> int:
    request = urllib.request.Request(url, data=body, method="PUT",
                                     headers={"Content-Type": f"{N_TRIPLES}; charset=utf-8"})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (URL given by the operator)
        return int(response.status)


def publish(
    store_path: Path, endpoint: str, token: str | None = None, timeout: float = 300.0
) -> Iterator[PublishedGraph]:
    """PUT every graph of the store at ``store_path`` to the Graph Store ``endpoint``, yielding each result."""
    store = open_store(store_path, in_memory=False)
    separator = "&" if "?" in endpoint else "?"
    for graph in _graphs(store):
        triples = [quad.triple for quad in store.quads_for_pattern(None, None, None, graph)]
        name = "default graph" if isinstance(graph, DefaultGraph) else graph.value
        target = "default" if isinstance(graph, DefaultGraph) else "graph=" + quote(graph.value, safe="")
        body = serialize(triples, format=RdfFormat.N_TRIPLES) or b""
        try:
            status = _put(f"{endpoint}{separator}{target}", body, token, timeout)
        except urllib.error.HTTPError as error:
            detail = error.read().decode("utf-8", "replace").strip()
            raise PublishError(f"{endpoint} refused {name}: HTTP {error.code} {error.reason}: {detail}") from None
        except urllib.error.URLError as error:
            raise PublishError(f"cannot reach {endpoint} ({error.reason}) while sending {name}") from None
        yield PublishedGraph(name, len(triples), status)
