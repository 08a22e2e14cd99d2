"""The build, stage by stage: documents → loaders → named graphs → checks → store.

Each stage has its home elsewhere (parsing in ``healthkg.loaders``, checks in
``healthkg.checks``, persistence in ``healthkg.engine.store``); this module
only runs them in order and reports what happened.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from importlib import resources
from pathlib import Path

from pyoxigraph import NamedNode, RdfFormat, Store
from rdflib import RDF, Graph, URIRef

from healthkg.checks.qc import Violation, run_qc
from healthkg.checks.reasoning import InconsistentGraph, ReasonerUnavailable, infer
from healthkg.checks.validation import store_graph
from healthkg.cli.build_version import build_version
from healthkg.engine.backends import LocalBackend
from healthkg.engine.store import BuildInfo, write_store
from healthkg.loaders.deck import DocumentExtract, parse_document
from healthkg.loaders.errors import DocumentError
from healthkg.loaders.facts import SkippedFact, load_facts
from healthkg.loaders.identity import assign_slugs
from healthkg.loaders.mappings import mapping_triples
from healthkg.loaders.merge import Source, merge
from healthkg.loaders.triples import document_graph_iri, document_iri, document_triples, fiscal_year_triples
from healthkg.ontology import GRAPH, HKG, ontology_graph, reference_graph
from healthkg.queries.catalogue import catalogue

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
    seconds: float = 0.0  # the whole build, from reading documents to writing the store
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


def _fiscal_years(graphs: Iterable[Graph]) -> Iterator[int]:
    for graph in graphs:
        for year in graph.objects(None, HKG.fiscalYearNumber):
            yield int(year)
        for bound in (HKG.firstFiscalYear, HKG.lastFiscalYear):  # plan periods name fiscal years by IRI
            for node in graph.objects(None, bound):
                yield int(str(node).rsplit("/", 1)[1])


def chronological(extracts: list[DocumentExtract]) -> list[DocumentExtract]:
    """Documents from the earliest issued to the latest; undated ones first, then in the order given."""
    order = {id(extract): index for index, extract in enumerate(extracts)}
    return sorted(extracts, key=lambda e: (e.issued or date.min, order[id(e)]))


def assemble(documents: list[Path], progress: Progress = _quiet) -> BuildReport:
    """Parse every document and gather all named graphs, each triple in one; raises DocumentError on bad input.

    The sources' order is the merge's precedence (:mod:`healthkg.loaders.merge`): a
    triple stays in the first graph that states it, and a figure several documents
    restate takes the most recently issued one's amount.
    """
    report = BuildReport()
    report.documents = []
    for path in documents:
        progress(f"reading {path.name}")
        report.documents.append(parse_document(path))
    assign_slugs(report.documents)
    for extract in report.documents:
        report.warnings.extend(f"{extract.path}:{w.line}: {w.message}" for w in extract.warnings)
    progress("reading the ontology and reference data")
    sources = [Source(GRAPH.ontology, ontology_graph()), Source(GRAPH.reference, reference_graph())]
    sources += [
        Source(document_graph_iri(extract), document_triples(extract), extract.path)
        for extract in chronological(report.documents)
    ]
    progress("adding curated facts and mappings")
    sources += _curated(report, [source.graph for source in sources[2:]])
    sources.append(Source(GRAPH.calendar, fiscal_year_triples(_fiscal_years(s.graph for s in sources))))
    progress("storing each triple once")
    report.warnings.extend(merge(sources))
    dataset = Store()
    for source in sources:
        report.graphs[str(source.name)] = _add_graph(dataset, source.name, source.graph)
    report.warnings.extend(_inconsistent_totals(dataset, report.documents))
    report.nquads = dataset.dump(format=RdfFormat.N_QUADS) or b""
    report.store = dataset
    report.version = build_version((d.path.name, d.sha256) for d in report.documents)
    return report


def _curated(report: BuildReport, document_graphs: list[Graph]) -> list[Source]:
    """Curated facts (matched to the programs documents name) and external mappings, each in its own graph."""
    known = {URIRef(s) for graph in document_graphs for s in graph.subjects(RDF.type, HKG.Program)}
    facts = load_facts(known_programs=known)
    report.skipped_facts = facts.skipped
    return [Source(GRAPH.facts, facts.graph), Source(GRAPH.mappings, mapping_triples())]


def _inconsistent_totals(dataset: Store, documents: list[DocumentExtract]) -> list[str]:
    """Declared totals their lines do not add up to, as warnings naming the file as every other warning does."""
    paths = {str(document_iri(extract)): extract.path for extract in documents}
    results = LocalBackend(dataset).select(catalogue()["audit-inconsistent-totals"].render({}))
    warnings = []
    for row in results["results"]["bindings"]:
        cell = {key: value["value"] for key, value in row.items()}
        warnings.append(
            f"{paths.get(cell['document'], cell['file'])}:{cell['line']}: declared total {cell['declared_yen']} yen"
            f" ({cell['project']} FY{cell['fiscal_year']} {cell['route']}) but its lines add up to"
            f" {cell['computed_yen']} yen"
        )
    return warnings


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
    start = time.monotonic()
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
    report.seconds = time.monotonic() - start
    return report
