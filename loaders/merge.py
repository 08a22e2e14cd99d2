"""Several sources in one dataset, every triple stored once.

The SPARQL endpoint's default graph is the union of the named graphs, and that
union is a bag: a triple stored in two graphs comes back twice, so a program
two decks list would have its label counted twice by any query. The build
therefore keeps each triple in the first graph, in order of precedence, that
states it: the ontology, the reference vocabularies, the documents from the
earliest issued to the latest (undated ones first, then in the order given),
the curated facts, the mappings. A later source still reaches the triple
through its own provenance (its lines, its curated fact).

Budget figures and program groups are named by their content, so a deck that
restates last year's figure states the same node again. Such a node keeps one
value of each property that has only one (its amount with its precision and
stated text, its label, its description): the most recently issued document's.
Where two documents give amounts further apart than the coarser precision can
explain, the build warns, naming both places; the ``audit-figure-disagreements``
query lists them from the graph.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from rdflib import DCTERMS, PROV, RDF, RDFS, Graph, Literal, URIRef
from rdflib.term import Node

from healthkg.ontology import HKG

# Nodes that several documents can state, and the properties of which each has one value.
_RESTATED = (HKG.BudgetAllocation, HKG.DeclaredBudgetTotal, HKG.ProgramGroup)
_ONE_VALUE = (HKG.amountYen, HKG.precisionYen, HKG.statedAmount, HKG.partlyRelisted, RDFS.label, DCTERMS.description)


@dataclass
class Source:
    """One named graph of the build; a document's carries the path it was read from."""

    name: URIRef
    graph: Graph
    path: Path | None = None


def merge(sources: Sequence[Source]) -> list[str]:
    """Resolve restated figures, then keep every triple in its first source only; returns warnings (file:line)."""
    warnings = _resolve_restatements([s for s in sources if s.path is not None])
    seen: set[tuple[Node, Node, Node]] = set()
    for source in sources:
        for triple in list(source.graph):
            if triple in seen:
                source.graph.remove(triple)
            else:
                seen.add(triple)
    return warnings


def _language(value: Node) -> str | None:
    return value.language if isinstance(value, Literal) else None


def _resolve_restatements(documents: Sequence[Source]) -> list[str]:
    """For each node several documents state, the latest document's value of each one-valued property wins."""
    stated: dict[URIRef, list[Source]] = {}
    for document in documents:
        for kind in _RESTATED:
            for node in document.graph.subjects(RDF.type, kind):
                if isinstance(node, URIRef):
                    stated.setdefault(node, []).append(document)
    warnings: list[str] = []
    for node, statements in stated.items():
        if len(statements) < 2:
            continue
        warning = _disagreement(node, statements)
        if warning:
            warnings.append(warning)
        for predicate in _ONE_VALUE:
            _keep_latest(node, predicate, statements)
    return warnings


def _keep_latest(node: URIRef, predicate: URIRef, statements: Sequence[Source]) -> None:
    """Per language (labels, descriptions), only the last statement that gives a value keeps it."""
    kept: set[str | None] = set()
    for document in reversed(statements):
        values = list(document.graph.objects(node, predicate))
        for value in values:
            if _language(value) in kept:
                document.graph.remove((node, predicate, value))
        kept.update(_language(value) for value in values)


def _where(node: URIRef, document: Source) -> str:
    lines = [
        int(number)
        for location in document.graph.objects(node, PROV.wasDerivedFrom)
        for number in document.graph.objects(location, HKG.lineNumber)
    ]
    return f"{document.path}:{min(lines)}" if lines else str(document.path)


def _amount(node: URIRef, document: Source) -> tuple[Decimal, Decimal, str] | None:
    graph = document.graph
    yen, precision = graph.value(node, HKG.amountYen), graph.value(node, HKG.precisionYen)
    if not isinstance(yen, Literal) or not isinstance(precision, Literal):
        return None
    return Decimal(str(yen)), Decimal(str(precision)), str(graph.value(node, HKG.statedAmount) or yen)


def _label(node: URIRef, documents: Iterable[Source]) -> str:
    for document in documents:
        for label in document.graph.objects(node, RDFS.label):
            return str(label)
    return str(node)


def _disagreement(node: URIRef, statements: Sequence[Source]) -> str | None:
    """The latest statement against the earlier ones whose amounts it cannot be a restatement of."""
    latest = statements[-1]
    kept = _amount(node, latest)
    if kept is None:
        return None
    others = []
    for document in statements[:-1]:
        amount = _amount(node, document)
        if amount is not None and abs(amount[0] - kept[0]) > max(amount[1], kept[1]) / 2:
            others.append(f"{amount[2]} at {_where(node, document)}")
    if not others:
        return None
    year = latest.graph.value(node, HKG.fiscalYearNumber)
    return (
        f"{_where(node, latest)}: budget figure {_label(node, statements)!r} (FY{year}) is stated as {kept[2]} here"
        f" but as {', '.join(others)}: the most recently issued document's figure is kept"
    )
