"""Read the ontology's Turtle through importlib.resources, so a wheel works like a checkout."""

from __future__ import annotations

from functools import cache
from importlib import resources

from rdflib import Graph

_PACKAGE = "healthkg.ontology"
ONTOLOGY_FILES = ("healthkg.ttl", "healthkg-align.ttl")


def _parse(names: list[str]) -> Graph:
    graph = Graph()
    root = resources.files(_PACKAGE)
    for name in names:
        resource = root.joinpath(name)
        if resource.is_file():
            graph.parse(data=resource.read_text(encoding="utf-8"), format="turtle", publicID=name)
    return graph


def vocabulary_files() -> list[str]:
    """Turtle files of reference individuals, in a stable order."""
    folder = resources.files(_PACKAGE).joinpath("vocab")
    return sorted(f"vocab/{entry.name}" for entry in folder.iterdir() if entry.name.endswith(".ttl"))


@cache
def _ontology() -> Graph:
    return _parse(list(ONTOLOGY_FILES))


@cache
def _reference() -> Graph:
    return _parse(vocabulary_files())


def ontology_graph() -> Graph:
    """The TBox and its alignments (a fresh copy: callers may add to it)."""
    copy = Graph()
    copy += _ontology()
    return copy


def reference_graph() -> Graph:
    """Reference individuals: projects, organisations, disease areas, eras, units, routes."""
    copy = Graph()
    copy += _reference()
    return copy
