"""The build version: a digest of what a build reads, so that equal inputs give equal versions.

A build's triples follow from its inputs alone: the documents' bytes, the
curated data, the ontology sources (Turtle, prefix and mapping tables, QC
queries), the code that turns them into triples (loaders, checks, the
pipeline and the store writer) and the libraries that parse, reason and
serialise (rdflib, owlready2 with its HermiT, pyoxigraph). The version hashes
exactly those, never the output: the N-Quads of two equal builds differ in
their blank-node labels and order, and ``built_at`` differs by definition.
``BUILD_INPUTS`` is the Makefile's ``INPUTS`` in package terms (a test keeps
the two equal), so `make build` rebuilds exactly when the version would change.
Documents count by file name and bytes, not by path: a copy elsewhere builds
the same version.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fnmatch import fnmatch
from importlib import metadata, resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

# (package, file patterns relative to it); the package's folder is its last name segment.
BUILD_INPUTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("healthkg.data", ("curated/*",)),
    ("healthkg.ontology", ("*.ttl", "*.tsv", "*.py", "vocab/*.ttl", "qc/*.rq")),
    ("healthkg.loaders", ("*.py", "*.tsv")),
    ("healthkg.checks", ("*.py",)),
    ("healthkg.engine", ("store.py",)),
    ("healthkg.cli", ("pipeline.py",)),
)
# The libraries whose versions can change the triples of the same sources.
BUILD_LIBRARIES = ("rdflib", "owlready2", "pyoxigraph")
VERSION_LENGTH = 16


@dataclass(frozen=True, order=True)
class BuildInput:
    """One input of a build: ``kind`` is document, file or library; ``digest`` a sha256 or a version."""

    kind: str
    name: str
    digest: str


def _matching(package: str, pattern: str) -> Iterator[tuple[str, Traversable]]:
    folder, _, name_pattern = pattern.rpartition("/")
    base = resources.files(package)
    if folder:
        base = base.joinpath(folder)
    if not base.is_dir():
        return
    prefix = package.rsplit(".", 1)[-1] + "/" + (folder + "/" if folder else "")
    for entry in base.iterdir():
        if entry.is_file() and fnmatch(entry.name, name_pattern):
            yield prefix + entry.name, entry


def source_files() -> Iterator[tuple[str, Traversable]]:
    """The packaged files a build reads or runs, as (path relative to the repository root, file)."""
    for package, patterns in BUILD_INPUTS:
        for pattern in patterns:
            yield from _matching(package, pattern)


def build_inputs(documents: Iterable[tuple[str, str]]) -> list[BuildInput]:
    """Every input of a build of ``documents`` (file name, sha256 of its bytes), sorted."""
    inputs = {BuildInput("document", name, sha256) for name, sha256 in documents}
    inputs.update(BuildInput("file", name, hashlib.sha256(entry.read_bytes()).hexdigest())
                  for name, entry in source_files())
    inputs.update(BuildInput("library", name, metadata.version(name)) for name in BUILD_LIBRARIES)
    return sorted(inputs)


def version_of(inputs: Iterable[BuildInput]) -> str:
    """The digest of an input listing, whatever order it comes in."""
    listing = "".join(f"{i.kind}\t{i.name}\t{i.digest}\n" for i in sorted(inputs))
    return hashlib.sha256(listing.encode("utf-8")).hexdigest()[:VERSION_LENGTH]


def build_version(documents: Iterable[tuple[str, str]]) -> str:
    """The version of a build of ``documents`` (file name, sha256): the digest of all its inputs."""
    return version_of(build_inputs(documents))
