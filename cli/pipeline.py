"""The build, stage by stage: documents → loaders → named graphs → checks → store.

Each stage has its home elsewhere (parsing in ``healthkg.loaders``, checks in
``healthkg.checks``, persistence in ``healthkg.engine.store``); this module
only runs them in order and reports what happened.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path

from pyoxigraph import NamedNode, RdfFormat, Store
from rdflib import RDF, Graph, URIRef

from healthkg.checks.qc import Violation, run_qc
from healthkg.checks.reasoning import InconsistentGraph, ReasonerUnavailable, infer
from healthkg.checks.validation import store_graph
from healthkg.cli.build_version import build_version
from healthkg.engine.store import BuildInfo, write_store
from healthkg.loaders.deck import DocumentExtract, parse_document
from healthkg.loaders.errors import DocumentError
from healthkg.loaders.facts import SkippedFact, load_facts
from healthkg.loaders.mappings import mapping_triples
from healthkg.loaders.triples import document_graph_iri, document_slug, document_triples, fiscal_year_triples
from healthkg.ontology import GRAPH, HKG, ontology_graph, reference_graph

DOCUMENT_SUFFIXES = (".md", ".txt")
# Told the name of each stage as it begins, so that a command can show where a build is.
Progress = Callable[[str], None]


def _quiet(stage: str) -> None:
    """The default progress: none."""


class BuildError(RuntimeError):
    """The build stopped; the store on disk was left as it was."""


@dataclass
class BuildReport:
    documents: list[DocumentExtract] = field(default_factory=list)
    graphs: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    skipped_facts: list[SkippedFact] = field(default_factory=list)
    reasoning_seconds: float = 0.0
    nquads: bytes = b""
    store: Store = field(default_factory=Store, repr=False)
    version: str = ""  # from the inputs (healthkg.cli.build_version), never from the output


def expand_documents(paths: Iterable[Path]) -> list[Path]:
    """Files as given; folders expanded to their document files, sorted."""
    found: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.suffix in DOCUMENT_SUFFIXES and p.is_file()))
        elif path.is_file():
            found.append(path)
        else:
            raise DocumentError(path, None, "no such file or folder")
    if not found:
        raise BuildError("no documents to read")
    return found


def bundled_documents(stack: ExitStack) -> list[Path]:
    """The documents shipped in the package (the seed deck), as real paths."""
    folder = stack.enter_context(resources.as_file(resources.files("healthkg.data").joinpath("documents")))
    return expand_documents([Path(folder)])


def _add_graph(dataset: Store, name: URIRef, graph: Graph) -> int:
    data = graph.serialize(format="nt", encoding="utf-8")
    dataset.bulk_load(data, format=RdfFormat.N_TRIPLES, to_graph=NamedNode(str(name)))
    return len(graph)


def _fiscal_years(dataset: Store) -> Iterator[int]:
    for quad in dataset.quads_for_pattern(None, NamedNode(str(HKG.fiscalYearNumber)), None, None):
        yield int(quad.object.value)
    for bound in (HKG.firstFiscalYear, HKG.lastFiscalYear):  # plan periods name fiscal years by IRI
        for quad in dataset.quads_for_pattern(None, NamedNode(str(bound)), None, None):
            yield int(quad.object.value.rsplit("/", 1)[1])


def assemble(documents: list[Path], progress: Progress = _quiet) -> BuildReport:
    """Parse every document and gather all named graphs; raises DocumentError on bad input."""
    report = BuildReport()
    dataset = Store()
    progress("reading the ontology and reference data")
    report.graphs[str(GRAPH.ontology)] = _add_graph(dataset, GRAPH.ontology, ontology_graph())
    report.graphs[str(GRAPH.reference)] = _add_graph(dataset, GRAPH.reference, reference_graph())
    seen: dict[str, Path] = {}
    for path in documents:
        progress(f"reading {path.name}")
        extract = parse_document(path)
        slug = document_slug(extract)
        if slug in seen:
            raise DocumentError(path, None, f"same document identifier {slug!r} as {seen[slug]}: rename one file")
        seen[slug] = path
        report.documents.append(extract)
        name = document_graph_iri(extract)
        report.graphs[str(name)] = _add_graph(dataset, name, document_triples(extract))
        report.warnings.extend(f"{path}:{w.line}: {w.message}" for w in extract.warnings)
    progress("adding curated facts and mappings")
    _add_curated(report, dataset)
    report.graphs[str(GRAPH.calendar)] = _add_graph(
        dataset, GRAPH.calendar, fiscal_year_triples(_fiscal_years(dataset))
    )
    report.nquads = dataset.dump(format=RdfFormat.N_QUADS) or b""
    report.store = dataset
    report.version = build_version((d.path.name, d.sha256) for d in report.documents)
    return report


def _add_curated(report: BuildReport, dataset: Store) -> None:
    """Curated facts (matched to the programs documents name) and external mappings, each in its own graph."""
    program = (NamedNode(str(RDF.type)), NamedNode(str(HKG.Program)))
    known = {URIRef(quad.subject.value) for quad in dataset.quads_for_pattern(None, *program, None)}
    facts = load_facts(known_programs=known)
    report.skipped_facts = facts.skipped
    report.graphs[str(GRAPH.facts)] = _add_graph(dataset, GRAPH.facts, facts.graph)
    report.graphs[str(GRAPH.mappings)] = _add_graph(dataset, GRAPH.mappings, mapping_triples())


def reason(report: BuildReport) -> None:
    """Run HermiT on the assembled dataset; its entailments become the inferred graph."""
    try:
        result = infer(ontology_graph(), store_graph(report.store))
    except (InconsistentGraph, ReasonerUnavailable) as error:
        raise BuildError(str(error)) from error
    report.reasoning_seconds = result.seconds
    report.graphs[str(GRAPH.inferred)] = _add_graph(report.store, GRAPH.inferred, result.inferred)
    report.nquads = report.store.dump(format=RdfFormat.N_QUADS) or b""


def check(report: BuildReport, progress: Progress = _quiet) -> None:
    """Reason (raising BuildError if the graph is inconsistent), then run the QC queries and SHACL shapes."""
    progress("reasoning with HermiT")
    reason(report)
    progress("running the quality checks")
    report.violations = run_qc(report.store)


def build(documents: list[Path], store_path: Path, progress: Progress = _quiet) -> BuildReport:
    """Assemble, check and write the store; a failing stage leaves the old store untouched."""
    report = assemble(documents, progress)
    check(report, progress)
    if report.violations:
        listing = "\n".join(f"  {violation}" for violation in report.violations)
        raise BuildError(f"quality checks failed ({len(report.violations)} violations):\n{listing}")
    info = BuildInfo(
        built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        version=report.version,
        documents=[
            {"file": d.path.name, "graph": str(document_graph_iri(d)), "title": d.title, "sha256": d.sha256}
            for d in report.documents
        ],
        graphs=report.graphs,
        warnings=report.warnings,
    )
    progress("writing the store")
    write_store(store_path, report.nquads, info)
    return report
