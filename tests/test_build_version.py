"""Reproducible builds: the version is a digest of the build's inputs, never of its output or its time."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from healthkg.cli.build_version import BuildInput, build_inputs, build_version, source_files, version_of
from healthkg.cli.pipeline import BuildReport

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "documents" / "2020-08-04_cas_genome-data-platform-project.md"


def seed_documents() -> list[tuple[str, str]]:
    return [(SEED.name, hashlib.sha256(SEED.read_bytes()).hexdigest())]


def makefile_inputs() -> set[str]:
    """The files the Makefile's INPUTS names (what makes `make build` rebuild), bundled documents aside."""
    text = (ROOT / "Makefile").read_text(encoding="utf-8").replace("\\\n", " ")
    (patterns,) = re.findall(r"^INPUTS := \$\(wildcard ([^)]*)\)", text, re.MULTILINE)
    found = {str(p.relative_to(ROOT)) for pattern in patterns.split() for p in ROOT.glob(pattern) if p.is_file()}
    return {name for name in found if not name.startswith("data/documents/")}


def test_the_version_covers_what_the_makefile_rebuilds_for() -> None:
    assert {name for name, _ in source_files()} == makefile_inputs()
    names = {i.name for i in build_inputs(seed_documents())}
    assert {"data/curated/facts.tsv", "ontology/healthkg.ttl", "ontology/vocab/projects.ttl", "loaders/deck.py",
            "checks/reasoning.py", "cli/pipeline.py", SEED.name, "owlready2", "pyoxigraph", "rdflib"} <= names


def test_the_build_reports_the_version_of_its_inputs(seed_build: tuple[Path, BuildReport]) -> None:
    """Two builds of the seed (the session's and this recomputation) agree; test_cli rebuilds for real."""
    report = seed_build[1]
    assert report.version == build_version(seed_documents())
    assert re.fullmatch(r"[0-9a-f]{16}", report.version)


def test_a_changed_input_changes_the_version() -> None:
    documents = seed_documents()
    version = build_version(documents)
    edited = SEED.read_bytes() + b"\n"  # one more byte in the document
    assert build_version([(SEED.name, hashlib.sha256(edited).hexdigest())]) != version
    assert build_version([("2020-08-05_renamed.md", documents[0][1])]) != version
    inputs = build_inputs(documents)
    assert version_of(inputs) == version and version_of(reversed(inputs)) == version
    for name in ("data/curated/facts.tsv", "ontology/healthkg.ttl", "loaders/deck.py", "pyoxigraph"):
        changed = [BuildInput(i.kind, i.name, "0" * 64) if i.name == name else i for i in inputs]
        assert version_of(changed) != version, name
