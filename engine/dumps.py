"""The embedded store written out whole: every quad (N-Quads, TriG) or one named graph (Turtle).

Bodies are generated graph by graph and in batches, so a large dump never has
to sit in memory whole; Turtle and TriG get prefixes for the vocabularies each
graph uses, so they read like the sources.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice

from pyoxigraph import BlankNode, DefaultGraph, NamedNode, Quad, RdfFormat, Store, serialize

from healthkg.engine.prefixes import OWN_PREFIXES, prefix_map

BATCH = 10_000
RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


def _batches(quads: Iterator[Quad]) -> Iterator[list[Quad]]:
    while batch := list(islice(quads, BATCH)):
        yield batch


def _prefixes(store: Store, graph: NamedNode | BlankNode | DefaultGraph) -> dict[str, str]:
    """Prefixes for the vocabularies a graph uses (its predicates and classes), plus this graph's own."""
    vocabulary = {quad.predicate.value for quad in store.quads_for_pattern(None, None, None, graph)}
    vocabulary |= {quad.object.value for quad in store.quads_for_pattern(None, RDF_TYPE, None, graph)
                   if isinstance(quad.object, NamedNode)}
    return OWN_PREFIXES | prefix_map(vocabulary)


def named_graphs(store: Store) -> list[str]:
    return sorted(graph.value for graph in store.named_graphs())


def has_named_graph(store: Store, iri: str) -> bool:
    return store.contains_named_graph(NamedNode(iri))


def nquads(store: Store) -> Iterator[bytes]:
    for batch in _batches(iter(store.quads_for_pattern(None, None, None, None))):
        yield serialize(batch, format=RdfFormat.N_QUADS) or b""


def trig(store: Store) -> Iterator[bytes]:
    graphs: list[NamedNode | BlankNode | DefaultGraph] = [DefaultGraph(),
                                                          *sorted(store.named_graphs(), key=lambda g: g.value)]
    for graph in graphs:
        quads = list(store.quads_for_pattern(None, None, None, graph))
        if quads:
            yield serialize(quads, format=RdfFormat.TRIG, prefixes=_prefixes(store, graph)) or b""
            yield b"\n"


def turtle(store: Store, iri: str) -> Iterator[bytes]:
    graph = NamedNode(iri)
    yield serialize([q.triple for q in store.quads_for_pattern(None, None, None, graph)], format=RdfFormat.TURTLE,
                    prefixes=_prefixes(store, graph)) or b""
