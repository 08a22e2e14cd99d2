"""Changes to the served in-memory store: SPARQL Update and the Graph Store Protocol's writes.

A body is parsed whole before the store is touched, so a malformed one changes
nothing; graph writes hold one lock, so a PUT's clear and fill are not
interleaved with another write. Changes live only in the served store: the
next build or restart replaces them.
"""

from __future__ import annotations

import threading

from pyoxigraph import DefaultGraph, NamedNode, Quad, Store, parse

from healthkg.engine.errors import GraphNotFound, MalformedPayload, MalformedQuery, UnsupportedPayload
from healthkg.engine.formats import GRAPH_FORMATS, by_media_type
from healthkg.engine.query_form import lex

Graph = NamedNode | DefaultGraph
# A graph store request names one graph; datasets (N-Quads, TriG) would name others.
GRAPH_BODY_FORMATS = tuple(f for f in GRAPH_FORMATS if f.name not in ("nquads", "trig"))
_write_lock = threading.Lock()


def _graph(name: str | None) -> Graph:
    return DefaultGraph() if name is None else NamedNode(name)


def update(store: Store, text: str, base_iri: str | None = None) -> None:
    """Run a SPARQL update; a malformed one raises :class:`MalformedQuery` and changes nothing."""
    try:
        store.update(text, base_iri=base_iri)
    except SyntaxError as error:
        raise MalformedQuery(f"malformed update: {error}") from None


def with_dataset(text: str, graphs: tuple[str, ...], named_graphs: tuple[str, ...]) -> str:
    """The update with the protocol's ``using-graph-uri``/``using-named-graph-uri`` written into it.

    SPARQL 1.1 Protocol §2.2.3: they give the dataset of every operation with a WHERE clause, as
    ``USING``/``USING NAMED`` would; pyoxigraph takes no dataset with an update, so the clauses are
    written before each such WHERE (``DELETE WHERE { P }`` becomes ``DELETE { P } USING … WHERE { P }``,
    the short form taking no USING). An update that names its own dataset (USING, WITH) is refused,
    as the protocol requires. The IRIs come checked (absolute, no ``<>``).
    """
    if not graphs and not named_graphs:
        return text
    clause = " ".join([f"USING <{g}>" for g in graphs] + [f"USING NAMED <{g}>" for g in named_graphs])
    tokens = list(lex(text))
    out: list[str] = []
    depth = 0
    operation: str | None = None  # the first keyword of the current operation, after its prologue
    previous = ""  # the last keyword at depth 0
    index = 0
    while index < len(tokens):
        kind, value = tokens[index]
        word = value.upper() if kind == "word" else ""
        if kind == "other" and value in "{([":
            depth += 1
        elif kind == "other" and value in "})]":
            depth -= 1
        elif depth == 0 and kind == "other" and value == ";":
            operation = None
        elif depth == 0 and word:
            if word in ("USING", "WITH"):
                raise MalformedQuery(f"the update names its own dataset ({word}); it cannot take using-graph-uri "
                                     "or using-named-graph-uri as well (SPARQL 1.1 Protocol §2.2.3)")
            if operation is None and word not in ("PREFIX", "BASE"):
                operation = word
            if word == "WHERE" and operation in ("DELETE", "INSERT"):
                if previous == "DELETE":  # the short form: its pattern is also what it deletes
                    end = _group_end(tokens, index + 1)
                    pattern = "".join(value for _, value in tokens[index + 1:end])
                    out.append(f"{pattern.strip()} {clause} WHERE")
                else:
                    out.append(f"{clause} WHERE")
                previous = word
                index += 1
                continue
            previous = word
        out.append(value)
        index += 1
    return "".join(out)


def _group_end(tokens: list[tuple[str, str]], start: int) -> int:
    """The index after the group ``{ … }`` that begins at or after ``start`` (the end of the text if unclosed)."""
    depth = 0
    for index in range(start, len(tokens)):
        kind, value = tokens[index]
        if kind == "other" and value == "{":
            depth += 1
        elif kind == "other" and value == "}":
            depth -= 1
            if depth == 0:
                return index + 1
    return len(tokens)


def graph_exists(store: Store, name: str | None) -> bool:
    """Whether a named graph exists; the default graph exists when it holds a triple."""
    graph = _graph(name)
    if isinstance(graph, DefaultGraph):
        return next(iter(store.quads_for_pattern(None, None, None, graph)), None) is not None
    return store.contains_named_graph(graph)


def _payload(graph: Graph, body: bytes, media_type: str, base_iri: str) -> list[Quad]:
    """The body as quads in ``graph``: parsed whole, before anything is changed."""
    fmt = by_media_type(media_type)
    if fmt is None or fmt not in GRAPH_BODY_FORMATS:
        accepted = ", ".join(f.media_type for f in GRAPH_BODY_FORMATS)
        raise UnsupportedPayload(f"the body must be an RDF graph in one of: {accepted}")
    base = graph.value if isinstance(graph, NamedNode) else base_iri
    try:
        parsed = list(parse(body, format=fmt.rdf_format, base_iri=base))
    except SyntaxError as error:
        raise MalformedPayload(f"malformed {fmt.media_type} body: {error}") from None
    if any(not isinstance(q.graph_name, DefaultGraph) for q in parsed):
        raise MalformedPayload("the body names graphs; send one graph's triples")
    return [Quad(q.subject, q.predicate, q.object, graph) for q in parsed]


def write_graph(store: Store, name: str | None, body: bytes, media_type: str, base_iri: str, *,
                replace: bool) -> bool:
    """Add the body's triples to a graph (``replace``: instead of what it held); True when the graph is new."""
    graph = _graph(name)
    quads = _payload(graph, body, media_type, base_iri)
    with _write_lock:
        existed = graph_exists(store, name)
        if replace and existed:
            store.clear_graph(graph)
        if isinstance(graph, NamedNode):
            store.add_graph(graph)
        store.extend(quads)
    return not existed


def delete_graph(store: Store, name: str | None) -> None:
    """Remove a named graph, or empty the default graph; :class:`GraphNotFound` when there is none."""
    graph = _graph(name)
    with _write_lock:
        if not graph_exists(store, name):
            raise GraphNotFound(f"no graph {name or 'default'} to delete")
        if isinstance(graph, DefaultGraph):
            store.clear_graph(graph)
        else:
            store.remove_graph(graph)
