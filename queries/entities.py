"""Names given for entity parameters, resolved to the IRIs they denote in the graph being queried.

A user asks for ``project=ゲノム・データ基盤プロジェクト``, ``project=Health and Clinical
Data Project``, ``ministry=文科省``, ``route=amed`` or a full IRI. The value is
compared with the labels, preferred and alternative labels and codes of the
entities of the parameter's class, seeing through width, case, kana script and
separators as ``label-search`` does. A label or preferred label wins over an
alternative label or code; a name that still denotes several entities, or
none, is an error that lists the candidates or the closest names, so a typo
never answers with an empty result.

Resolution asks the graph (local store or remote endpoint) with SPARQL whose
values are typed terms serialised by pyoxigraph, like every other binding.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from pyoxigraph import Literal, NamedNode

from healthkg.engine.prefixes import expand
from healthkg.engine.search import fold, search_pattern
from healthkg.queries.catalogue import Parameter, ParameterError

_PREFIXES = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX hkg:  <https://w3id.org/healthkg/ontology#>
"""
# Labels name an entity first, then alternative labels (略称) and working translations (仮訳), then codes.
_NAMES = ("VALUES (?property ?rank) { (rdfs:label 0) (skos:prefLabel 0) (skos:altLabel 1)"
          " (hkg:workingTranslation 1) (hkg:code 2) }")
_RANKS = (0, 1, 2)
# Without a class, a name means a thing, not a budget figure, mention or line that quotes its name.
_QUOTING = "VALUES ?quoting { hkg:BudgetFigure hkg:ConceptMention hkg:SourceLocation }"
_SHOWN = 5


class Selecting(Protocol):
    def select(self, text: str) -> dict[str, Any]: ...


@dataclass(frozen=True)
class _Name:
    entity: str
    name: str
    rank: int


class EntityResolver:
    """A resolver for :meth:`NamedQuery.render` over one backend."""

    def __init__(self, backend: Selecting) -> None:
        self.backend = backend

    def __call__(self, parameter: Parameter, raw: str) -> NamedNode:
        value = raw.strip()
        if not value:
            raise ParameterError(f"{parameter.name}: empty value")
        iri = _as_iri(value)
        if iri is not None:
            return self._known(parameter, iri)
        return self._named(parameter, value)

    # -- an IRI or a CURIE ---------------------------------------------------------
    def _known(self, parameter: Parameter, iri: str) -> NamedNode:
        node = NamedNode(iri)
        typed = f"{node} a/rdfs:subClassOf* {NamedNode(parameter.kind)} ." if parameter.kind else ""
        ask = f"{_PREFIXES}ASK {{ {{ {node} ?p ?o }} UNION {{ ?s ?p {node} }} {typed} }}"
        if self.backend.select(ask).get("boolean"):
            return node
        raise ParameterError(f"{parameter.name}: {iri} is not {self._what(parameter)} of this graph")

    # -- a name ----------------------------------------------------------------------
    def _named(self, parameter: Parameter, value: str) -> NamedNode:
        try:
            pattern = Literal(search_pattern(value))
        except ValueError as error:
            raise ParameterError(f"{parameter.name}: {value!r}: {error}") from error
        found = self._names(parameter, f"FILTER(REGEX(STR(?name), {pattern}, \"i\"))")
        key = fold(value)
        exact = [n for n in found if fold(n.name) == key]
        for rank in _RANKS:
            entities = sorted({n.entity for n in exact if n.rank == rank})
            if len(entities) == 1:
                return NamedNode(entities[0])
            if entities:
                labels = self._labels(entities)
                listing = ", ".join(f"{labels[e]} <{e}>" for e in entities)
                raise ParameterError(
                    f"{parameter.name}: {value!r} names several {_kind(parameter)} entities: {listing};"
                    " give the IRI or a fuller name"
                )
        raise ParameterError(f"{parameter.name}: {value!r} names no {_kind(parameter)} of this graph"
                             f"{self._closest(parameter, value, found)}")

    def _names(self, parameter: Parameter, restriction: str) -> list[_Name]:
        typed = f"?entity a/rdfs:subClassOf* {NamedNode(parameter.kind)} ." if parameter.kind else ""
        query = (
            f"{_PREFIXES}SELECT DISTINCT ?entity ?name ?rank WHERE {{ {_NAMES} ?entity ?property ?name . {typed} "
            f"FILTER(isIRI(?entity) && isLiteral(?name)) {restriction} }}"
        )
        rows = self.backend.select(query)["results"]["bindings"]
        found = [_Name(r["entity"]["value"], r["name"]["value"], int(r["rank"]["value"])) for r in rows]
        return found if parameter.kind else self._things(found)

    def _things(self, names: list[_Name]) -> list[_Name]:
        """The names of entities that are not figures, mentions or lines (asked for the few found, not the graph)."""
        if not names:
            return names
        entities = " ".join(str(NamedNode(e)) for e in sorted({n.entity for n in names}))
        query = f"{_PREFIXES}SELECT DISTINCT ?entity WHERE {{ VALUES ?entity {{ {entities} }} {_QUOTING} " \
                "?entity a/rdfs:subClassOf* ?quoting }"
        quoting = {r["entity"]["value"] for r in self.backend.select(query)["results"]["bindings"]}
        return [n for n in names if n.entity not in quoting]

    def _closest(self, parameter: Parameter, value: str, partial: list[_Name]) -> str:
        """The names that contain the value, else (for a class) the names most like it."""
        candidates = partial or (self._names(parameter, "") if parameter.kind else [])
        by_key: dict[str, _Name] = {}
        for name in sorted(candidates, key=lambda n: (n.rank, len(n.name), n.name)):
            by_key.setdefault(fold(name.name), name)
        if partial:
            keys = list(by_key)
        else:
            keys = difflib.get_close_matches(fold(value), list(by_key), n=_SHOWN, cutoff=0.4)
        shown = [n.entity for n in _unique_entities(by_key[k] for k in keys)[:_SHOWN]]
        if not shown:
            return " (and nothing close)"
        labels = self._labels(shown)
        return "; closest: " + ", ".join(f"{labels[e]} <{e}>" for e in shown)

    def _labels(self, entities: list[str]) -> dict[str, str]:
        """How to show each entity in a message: its Japanese label, else any label, else its IRI."""
        values = " ".join(str(NamedNode(e)) for e in entities)
        query = f"{_PREFIXES}SELECT ?entity ?label WHERE {{ VALUES ?entity {{ {values} }} ?entity rdfs:label ?label }}"
        found: dict[str, tuple[bool, str]] = {}
        for row in self.backend.select(query)["results"]["bindings"]:
            label = row["label"]
            candidate = (label.get("xml:lang") != "ja", label["value"])
            found[row["entity"]["value"]] = min(found.get(row["entity"]["value"], candidate), candidate)
        return {e: found[e][1] if e in found else e for e in entities}

    @staticmethod
    def _what(parameter: Parameter) -> str:
        kind = _kind(parameter)
        return f"{'an' if kind[:1].lower() in 'aeiou' else 'a'} {kind}"


def _kind(parameter: Parameter) -> str:
    """The local name of the parameter's class (IntegratedProject), or "entity"."""
    if parameter.kind is None:
        return "entity"
    return parameter.kind.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _unique_entities(names: Iterable[_Name]) -> list[_Name]:
    seen: set[str] = set()
    unique = []
    for name in names:
        if name.entity not in seen:
            seen.add(name.entity)
            unique.append(name)
    return unique


def _as_iri(value: str) -> str | None:
    """The IRI a value writes out, as an absolute IRI or a CURIE of a known prefix; None for a name."""
    if value.startswith(("http://", "https://", "urn:")):
        return value
    prefix, colon, _ = value.partition(":")
    if colon and prefix and " " not in value:
        return expand(value)
    return None
