"""Turn a parsed document into RDF: one named graph per document, every fact pointing at its lines.

Provenance is by IRI: each span of lines is a resource ``<document#L12-L13>`` (a
``hkg:SourceLocation`` carrying the original text), and every extracted node says
``prov:wasDerivedFrom`` the span it came from.

What several documents can state is named by its content, not by the document:
a budget line by (program or group, project, fiscal year, funding route, stage,
relisting), a declared total by (project, fiscal year, route, stage), a program
group by its members. A yearly deck that restates last year's figures therefore
states the same figure again, which the build's merge (:mod:`.merge`) keeps once.
What varies from one statement to another stays on the document's own lines: the
``SourceLocation`` says which amount it states (``hkg:statesAmountYen``) beside
its text.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from datetime import date

from rdflib import DCTERMS, PROV, RDF, RDFS, XSD, Graph, Literal, URIRef
from rdflib.namespace import TIME

from healthkg.loaders.deck import (
    Amount,
    BudgetLine,
    DeclaredTotal,
    DocumentExtract,
    ProjectSection,
    Span,
)
from healthkg.loaders.lexicon import Lexicon, default_lexicon
from healthkg.loaders.normalize import digest
from healthkg.loaders.statements import StatementEmitter
from healthkg.ontology import GRAPH, HKG, ID


def document_slug(extract: DocumentExtract) -> str:
    """A document's identifier in IRIs (see :mod:`healthkg.loaders.identity`)."""
    return extract.slug


def document_iri(extract: DocumentExtract) -> URIRef:
    return ID[f"document/{document_slug(extract)}"]


def document_graph_iri(extract: DocumentExtract) -> URIRef:
    return GRAPH[f"document/{document_slug(extract)}"]


def _key(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).hexdigest()[:12]


def group_iri(members: Iterable[URIRef]) -> URIRef:
    """Programs listed together with one figure are one group in every document that lists them so."""
    return ID[f"group/{_key(*sorted(members))}"]


def allocation_iri(scheme: URIRef, project: URIRef, year: int, route: URIRef, status: URIRef, relisting: URIRef,
                   occurrence: int = 1) -> URIRef:
    """A budget line named by what it is a figure of; a second line of the same in one document counts on."""
    parts: tuple[object, ...] = (scheme, project, year, route, status, relisting)
    return ID[f"allocation/{year}/{_key(*parts, *((occurrence,) if occurrence > 1 else ()))}"]


def total_iri(project: URIRef, year: int, route: URIRef, status: URIRef) -> URIRef:
    return ID[f"total/{year}/{_key(project, year, route, status)}"]


def program_iri(name: str) -> URIRef:
    """Programs are identified by their normalised base name, so years and documents meet."""
    return ID[f"program/{digest(name)}"]


def fiscal_year_iri(year: int) -> URIRef:
    return ID[f"fy/{year}"]


class _Emitter:
    def __init__(self, extract: DocumentExtract, lexicon: Lexicon) -> None:
        self.extract = extract
        self.lexicon = lexicon
        self.slug = document_slug(extract)
        self.document = document_iri(extract)
        self.graph = Graph()
        self.graph.bind("hkg", HKG)
        self.graph.bind("id", ID)
        self.minted: set[URIRef] = set()
        self.schemes: dict[int, URIRef] = {}
        self.allocations: Counter[URIRef] = Counter()
        self.statements = StatementEmitter(self, extract, lexicon, self.project_named)

    def add(self, *triple: object) -> None:
        self.graph.add(triple)  # type: ignore[arg-type]

    def location(self, span: Span) -> URIRef:
        suffix = f"L{span.first}" if span.first == span.last else f"L{span.first}-L{span.last}"
        node = URIRef(f"{self.document}#{suffix}")
        self.add(node, RDF.type, HKG.SourceLocation)
        self.add(node, HKG.statedIn, self.document)
        self.add(node, HKG.lineNumber, Literal(span.first))
        if span.last != span.first:
            self.add(node, HKG.endLineNumber, Literal(span.last))
        self.add(node, HKG.sourceText, Literal(span.text))
        return node

    def emit(self) -> Graph:
        extract, doc = self.extract, self.document
        self.add(doc, RDF.type, HKG.PolicyDocument)
        self.add(doc, RDF.type, PROV.Entity)
        self.add(doc, RDFS.label, Literal(extract.title or extract.path.name, lang="ja"))
        if extract.title:
            self.add(doc, DCTERMS.title, Literal(extract.title, lang="ja"))
        if extract.issued:
            self.add(doc, DCTERMS.issued, Literal(extract.issued.isoformat(), datatype=XSD.date))
        if extract.publisher:
            publisher = self.lexicon.lookup(extract.publisher)
            if publisher is not None:
                self.add(doc, HKG.publishedBy, publisher)
            else:
                self.add(doc, DCTERMS.creator, Literal(extract.publisher, lang="ja"))
        self.add(doc, DCTERMS.language, Literal("ja"))
        self.add(doc, HKG.fileName, Literal(extract.path.name))
        self.add(doc, HKG.sha256, Literal(extract.sha256))
        for section in extract.sections:
            if section.lines or section.totals:
                self.section(section)
        self.lineage()
        self.statements.emit()
        return self.graph

    def project_named(self, name: str, known: URIRef | None, heading: Span) -> URIRef:
        """The vocabulary's project, or one minted from a heading the vocabulary does not know."""
        if known is not None:
            return known
        project = ID[f"project/{digest(name)}"]
        self.add(project, RDF.type, HKG.IntegratedProject)
        if project not in self.minted:
            self.minted.add(project)
            self.add(project, RDFS.label, Literal(name, lang="ja"))
            self.add(project, PROV.wasDerivedFrom, self.location(heading))
        return project

    def project(self, section: ProjectSection) -> URIRef:
        return self.project_named(section.name, section.project, section.heading)

    def section(self, section: ProjectSection) -> None:
        project = self.project(section)
        self.add(self.document, HKG.aboutProject, project)
        if section.description:
            self.add(project, DCTERMS.description, Literal(section.description, lang="ja"))
        for total in section.totals:
            self.total(project, total)
        for line in section.lines:
            self.budget_line(project, line)

    def stage(self, status: URIRef | None) -> URIRef:
        """A figure's stage of the budget process; the vocabulary's default when the parser gave none."""
        return status if status is not None else self.lexicon.budget_status("")  # a deck's 予算額: enacted

    def figure(self, node: URIRef, project: URIRef, year: int, route: URIRef, status: URIRef, amount: Amount,
               where: URIRef) -> None:
        """A figure's key and amount, and on its lines the amount those lines state."""
        self.add(node, HKG.inProject, project)
        self.add(node, HKG.fiscalYear, fiscal_year_iri(year))
        self.add(node, HKG.fiscalYearNumber, Literal(year))
        self.add(node, HKG.fundingRoute, route)
        self.add(node, HKG.budgetStatus, status)
        yen = Literal(amount.yen, datatype=XSD.decimal)
        precision = Literal(amount.precision.normalize(), datatype=XSD.decimal)
        self.add(node, HKG.amountYen, yen)
        self.add(node, HKG.precisionYen, precision)
        self.add(node, HKG.statedAmount, Literal(amount.stated))
        self.add(node, PROV.wasDerivedFrom, where)
        self.add(where, HKG.statesAmountYen, yen)
        self.add(where, HKG.statesPrecisionYen, precision)

    def total(self, project: URIRef, total: DeclaredTotal) -> None:
        status = self.stage(total.status)
        node = total_iri(project, total.fiscal_year, total.route, status)
        self.add(node, RDF.type, HKG.DeclaredBudgetTotal)
        code = self.lexicon.route_codes[total.route]
        self.add(node, RDFS.label, Literal(f"{total.fiscal_year}年度 {code} 総額 {total.amount.stated}", lang="ja"))
        self.figure(node, project, total.fiscal_year, total.route, status, total.amount, self.location(total.span))
        self.add(node, HKG.partlyRelisted, Literal(total.partly_relisted))

    def programs(self, names: Iterable[str], project: URIRef, where: URIRef) -> list[URIRef]:
        members = []
        for name in names:
            program = program_iri(name)
            self.add(program, RDF.type, HKG.Program)
            self.add(program, RDFS.label, Literal(name, lang="ja"))
            self.add(program, HKG.partOfProject, project)
            self.add(program, PROV.wasDerivedFrom, where)
            members.append(program)
        return members

    def budget_line(self, project: URIRef, line: BudgetLine) -> None:
        where = self.location(line.span)
        members = self.programs(line.programs, project, where)
        if line.amount is None:  # a relisting without a figure: membership only
            if len(members) == 1:
                self.statements.budget_line(line, members[0], members, None)
            return
        if len(members) == 1:
            scheme = members[0]
        else:
            scheme = group_iri(members)
            self.add(scheme, RDF.type, HKG.ProgramGroup)
            self.add(scheme, RDFS.label, Literal(line.label, lang="ja"))
            self.add(scheme, PROV.wasDerivedFrom, where)
            for member in members:
                self.add(scheme, HKG.hasMember, member)
        assert line.fiscal_year is not None  # a line with an amount always has its year
        status, relisting = self.stage(line.status), self.lexicon.relisting_status(line.relisting)
        key = (scheme, project, line.fiscal_year, line.route, status, relisting)
        first = allocation_iri(*key)
        self.allocations[first] += 1  # the same program listed twice in one document: two lines, both counted
        node = allocation_iri(*key, occurrence=self.allocations[first])
        self.add(node, RDF.type, HKG.BudgetAllocation)
        self.add(node, RDFS.label, Literal(line.label, lang="ja"))
        self.add(node, HKG.forScheme, scheme)
        self.figure(node, project, line.fiscal_year, line.route, status, line.amount, where)
        self.add(node, HKG.relistingStatus, relisting)
        if line.description:
            self.add(node, DCTERMS.description, Literal(line.description, lang="ja"))
        self.schemes[line.span.first] = scheme
        self.statements.budget_line(line, scheme, members, node)

    def lineage(self) -> None:
        """Successions the document shows by putting an earlier year's project beside a later one.

        A project whose lines are all of earlier years than another project's, and
        that shares programs with it, is that project's predecessor; a later
        program group whose members each had their own earlier line succeeds them.
        """
        funded = [(s, {ln.fiscal_year for ln in s.lines if ln.amount}) for s in self.extract.sections if s.lines]
        for old, old_years in funded:
            for new, new_years in funded:
                if not old_years or not new_years or max(old_years) >= min(new_years):
                    continue
                shared = {p for ln in old.lines for p in ln.programs} & {p for ln in new.lines for p in ln.programs}
                if shared and self.project(old) != self.project(new):
                    self.add(self.project(new), HKG.successorOf, self.project(old))
                    self.add(self.project(new), PROV.wasDerivedFrom, self.location(old.heading))
                    self.add(self.project(new), PROV.wasDerivedFrom, self.location(new.heading))
                own_lines = {p: ln for ln in old.lines if ln.amount and len(ln.programs) == 1 for p in ln.programs}
                for line in new.lines:
                    if line.amount and len(line.programs) > 1 and all(p in own_lines for p in line.programs):
                        group = self.schemes[line.span.first]
                        for name in line.programs:
                            self.add(group, HKG.successorOf, program_iri(name))


def document_triples(extract: DocumentExtract, lexicon: Lexicon | None = None) -> Graph:
    """The named-graph content for one document."""
    return _Emitter(extract, lexicon or default_lexicon()).emit()


def fiscal_year_triples(years: Iterable[int], lexicon: Lexicon | None = None) -> Graph:
    """Fiscal years as OWL-Time intervals, labelled in the era in force on their 1 April."""
    lexicon = lexicon or default_lexicon()
    graph = Graph()
    for year in sorted(set(years)):
        node = fiscal_year_iri(year)
        era = lexicon.era_for(date(year, 4, 1))
        era_year = year - era.first_year + 1
        graph.add((node, RDF.type, HKG.FiscalYear))
        graph.add((node, RDF.type, TIME.ProperInterval))
        graph.add((node, RDFS.label, Literal(f"{era.marker}{'元' if era_year == 1 else era_year}年度", lang="ja")))
        graph.add((node, RDFS.label, Literal(f"FY{year}", lang="en")))
        graph.add((node, HKG.fiscalYearNumber, Literal(year)))
        graph.add((node, HKG.era, era.iri))
        graph.add((node, PROV.wasDerivedFrom, era.iri))  # labels and year numbers follow from the era
        graph.add((node, HKG.eraYear, Literal(era_year)))
        for edge, day in ((TIME.hasBeginning, date(year, 4, 1)), (TIME.hasEnd, date(year + 1, 3, 31))):
            instant = ID[f"fy/{year}/{'begin' if edge == TIME.hasBeginning else 'end'}"]
            graph.add((node, edge, instant))
            graph.add((instant, RDF.type, TIME.Instant))
            graph.add((instant, TIME.inXSDDate, Literal(day.isoformat(), datatype=XSD.date)))
    return graph
