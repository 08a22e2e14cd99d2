"""Curated facts (``healthkg.data/curated/facts.tsv``) as RDF in their own named graph.

Each row was verified on a public government page; its URL and a short quote
travel with it. A row becomes the statement it supports (program → ministry,
bureau, AMED department, project, disease area, purpose, predecessor, or a whole
program budget for a fiscal year) plus a ``hkg:CuratedFact`` that reifies that
statement and carries ``prov:wasDerivedFrom`` the source URL, the quote and the
fiscal year the fact held in. Rows the model cannot place are not guessed at:
they come back as :class:`SkippedFact` for the audit.

Programs are matched by the identity the document loaders use
(:func:`healthkg.loaders.triples.program_iri` of the base name), so a curated
fact lands on the program a document lists, whichever document it was.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources

from rdflib import PROV, RDF, RDFS, SKOS, XSD, Graph, Literal, URIRef

from healthkg.loaders.deck import base_name
from healthkg.loaders.lexicon import Lexicon, default_lexicon
from healthkg.loaders.normalize import match_key, normalize
from healthkg.loaders.triples import fiscal_year_iri, program_iri
from healthkg.ontology import HKG, ID, ontology_graph

FACTS_FILE = "curated/facts.tsv"
_COLUMNS = (
    "subject",
    "subject_kind",
    "predicate",
    "object",
    "fiscal_year",
    "amount_yen",
    "unit",
    "source_url",
    "quote",
)


@dataclass(frozen=True)
class FactKey:
    """What a predicate key of the file means, as the ontology's ``hkg:factKey`` annotations say."""

    term: URIRef
    target: URIRef | None  # rdfs:range of a keyed property: the kind of individual the object names


@dataclass(frozen=True)
class BudgetSubject:
    """How a budget row of one subject_kind is placed: ``hkg:factSubjectKind`` on a budget-of property."""

    link: URIRef  # budgetOfProgram, budgetOfProject, ...
    figure: URIRef  # its rdfs:domain: the kind of budget figure
    subject: URIRef  # its rdfs:range: the kind of thing whose budget it is


def budget_subjects(ontology: Graph | None = None) -> dict[str, BudgetSubject]:
    graph = ontology_graph() if ontology is None else ontology
    found = {}
    for link, kind in graph.subject_objects(HKG.factSubjectKind):
        figure, subject = graph.value(link, RDFS.domain), graph.value(link, RDFS.range)
        if figure is not None and subject is not None:
            found[str(kind)] = BudgetSubject(URIRef(link), URIRef(figure), URIRef(subject))
    return found


def fact_keys(ontology: Graph | None = None) -> dict[str, FactKey]:
    """Predicate keys of the curated file, read from the ontology rather than kept beside the loader."""
    graph = ontology_graph() if ontology is None else ontology
    keys = {}
    for term, key in graph.subject_objects(HKG.factKey):
        target = graph.value(term, RDFS.range)
        keys[str(key)] = FactKey(URIRef(term), URIRef(target) if target is not None else None)
    return keys


class FactsFileError(ValueError):
    """The curated facts file is malformed; the message names the file and line."""


@dataclass(frozen=True)
class FactRow:
    line: int
    subject: str
    subject_kind: str
    predicate: str
    object: str
    fiscal_year: int | None
    amount_yen: Decimal | None
    unit: str
    source_url: str
    quote: str


@dataclass(frozen=True)
class SkippedFact:
    row: FactRow
    reason: str

    def __str__(self) -> str:
        year = f" FY{self.row.fiscal_year}" if self.row.fiscal_year else ""
        return (
            f"facts.tsv:{self.row.line}: {self.row.subject} {self.row.predicate} {self.row.object}{year}: {self.reason}"
        )


@dataclass
class FactsLoad:
    graph: Graph
    skipped: list[SkippedFact]


def _digest(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).hexdigest()[:12]


def read_facts(text: str | None = None, name: str = FACTS_FILE) -> list[FactRow]:
    """Rows of the curated file (``#`` lines are comments); raises FactsFileError naming the line."""
    if text is None:
        text = resources.files("healthkg.data").joinpath(FACTS_FILE).read_text(encoding="utf-8")
    numbered = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line and not line.startswith("#")]
    if not numbered or tuple(numbered[0][1].split("\t")) != _COLUMNS:
        raise FactsFileError(f"{name}: the header must be {' | '.join(_COLUMNS)}")
    rows = []
    for number, line in numbered[1:]:
        cells = next(csv.reader([line], delimiter="\t"))
        if len(cells) != len(_COLUMNS):
            raise FactsFileError(f"{name}:{number}: expected {len(_COLUMNS)} tab-separated columns, found {len(cells)}")
        record = dict(zip(_COLUMNS, cells))
        if not record["source_url"].startswith(("http://", "https://")):
            raise FactsFileError(f"{name}:{number}: source_url must be an http(s) URL, not {record['source_url']!r}")
        try:
            year = int(record["fiscal_year"]) if record["fiscal_year"] else None
            amount = Decimal(record["amount_yen"]) if record["amount_yen"] else None
        except ArithmeticError as error:
            raise FactsFileError(f"{name}:{number}: fiscal_year or amount_yen is not a number ({error})") from error
        if amount is not None and amount <= 0:
            raise FactsFileError(f"{name}:{number}: amount_yen must be positive")
        rows.append(
            FactRow(
                number,
                record["subject"],
                record["subject_kind"],
                record["predicate"],
                record["object"],
                year,
                amount,
                record["unit"],
                record["source_url"],
                record["quote"],
            )
        )
    return rows


def _precision(amount: Decimal, multiplier: Decimal) -> Decimal:
    """A figure is exact to its unit, or to the last decimal the source wrote (32.5億円 → 10^7 yen)."""
    exponent = (amount / multiplier).normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    step = multiplier * Decimal(10) ** min(exponent, 0)
    return step.quantize(Decimal(1)) if step == step.to_integral_value() else step.normalize()


def _stated(amount: Decimal, unit: str, multiplier: Decimal) -> str:
    return f"{(amount / multiplier).normalize():f}{unit}"


class _Loader:
    def __init__(self, lexicon: Lexicon, known_programs: set[URIRef]) -> None:
        self.lexicon = lexicon
        self.known = known_programs
        self.graph = Graph()
        self.graph.bind("hkg", HKG)
        self.graph.bind("id", ID)
        self.skipped: list[SkippedFact] = []
        self.ministries: dict[URIRef, URIRef] = {}
        ontology = self.ontology = ontology_graph()
        self.keys = fact_keys(ontology)
        self.budget_subjects = budget_subjects(ontology)
        self.kind_labels = {
            kind.figure: next(
                str(label)
                for label in ontology.objects(kind.figure, RDFS.label)
                if getattr(label, "language", None) == "ja"
            )
            for kind in self.budget_subjects.values()
        }

    def in_plan_period(self, project: URIRef, fiscal_year: int | None) -> bool:
        """Whether a dated row falls in the plan period of the project it names."""
        dated = project in self.lexicon.periods and fiscal_year is not None
        return dated and self.lexicon.in_period(project, fiscal_year)

    def skip(self, row: FactRow, reason: str) -> None:
        self.skipped.append(SkippedFact(row, reason))

    def source(self, row: FactRow) -> URIRef:
        url = URIRef(row.source_url)
        self.graph.add((url, RDF.type, HKG.CuratedSource))
        return url

    def program(self, name: str, row: FactRow) -> URIRef:
        base = base_name(name)
        node = program_iri(base)
        if node not in self.known:  # a document's type and label win: one ja label per program
            self.graph.add((node, RDF.type, HKG.Program))
            self.graph.add((node, RDFS.label, Literal(base, lang="ja")))
            self.graph.add((node, PROV.wasDerivedFrom, self.source(row)))
            self.known.add(node)
        return node

    def fact(self, row: FactRow, subject: URIRef, predicate: URIRef, obj: URIRef) -> None:
        self.graph.add((subject, predicate, obj))
        node = ID[f"fact/{_digest(row.source_url, subject, predicate, obj, row.fiscal_year)}"]
        self.graph.add((node, RDF.type, HKG.CuratedFact))
        self.graph.add((node, RDF.subject, subject))
        self.graph.add((node, RDF.predicate, predicate))
        self.graph.add((node, RDF.object, obj))
        self.graph.add((node, PROV.wasDerivedFrom, self.source(row)))
        self.graph.add((node, HKG.quote, Literal(row.quote)))
        if row.fiscal_year is not None:
            self.graph.add((node, HKG.asOfFiscalYear, fiscal_year_iri(row.fiscal_year)))
            self.graph.add((node, HKG.fiscalYearNumber, Literal(row.fiscal_year)))

    def unit(self, row: FactRow, program: URIRef) -> URIRef:
        unit = ID[f"unit/{_digest(match_key(row.object))}"]
        self.graph.add((unit, RDF.type, HKG.OrganizationalUnit))
        name = Literal(row.object, lang="ja")
        first = self.graph.value(unit, RDFS.label)
        self.graph.add((unit, RDFS.label if first in (None, name) else SKOS.altLabel, name))
        self.graph.add((unit, PROV.wasDerivedFrom, self.source(row)))
        parent = self.lexicon.lookup("AMED") if row.predicate == "amed_department" else self.ministries.get(program)
        if parent is not None:
            self.graph.add((unit, HKG.unitOf, parent))
        return unit

    def budget_subject(self, row: FactRow, kind: BudgetSubject) -> URIRef | None:
        """The program (created if new), or the reference project or organisation (or subclass) the row budgets."""
        if kind.subject == HKG.Program:
            return self.program(row.subject, row)
        subject = self.lexicon.lookup(row.subject, fiscal_year=row.fiscal_year)
        types = self.lexicon.types.get(subject, set()) if subject is not None else set()
        if not any(kind.subject in self.ontology.transitive_objects(t, RDFS.subClassOf) for t in types):
            self.skip(row, f"{row.subject!r} names no {kind.subject.fragment} of the reference vocabulary")
            return None
        if kind.subject == HKG.IntegratedProject and not self.in_plan_period(subject, row.fiscal_year):
            self.skip(row, "the budget is for a fiscal year outside the plan period of the project of that name")
            return None
        return subject

    def budget(self, row: FactRow) -> None:
        kind = self.budget_subjects.get(row.subject_kind)
        if kind is None:
            self.skip(row, f"budgets whose subject is a {row.subject_kind} stay in the curated file only")
            return
        subject = self.budget_subject(row, kind)
        if subject is None:
            return
        if row.fiscal_year is None or row.amount_yen is None or not row.unit:
            self.skip(row, "a budget needs a fiscal year, an amount and its unit")
            return
        multiplier = self.lexicon.units.get(normalize(row.unit))
        if multiplier is None:
            self.skip(row, f"{row.unit!r} is not an amount unit of the reference vocabulary")
            return
        prefix = re.sub(r"(?<!^)(?=[A-Z])", "-", kind.figure.fragment).lower()
        node = ID[f"{prefix}/{str(subject).rsplit('/', 1)[1]}/{row.fiscal_year}/{_digest(row.source_url, row.object)}"]
        label = self.graph.value(subject, RDFS.label) or row.subject
        self.graph.add((node, RDF.type, kind.figure))
        self.graph.add(
            (
                node,
                RDFS.label,
                Literal(f"{label} {row.fiscal_year}年度 {self.kind_labels[kind.figure]}({row.object})", lang="ja"),
            )
        )
        self.graph.add((node, kind.link, subject))
        self.graph.add((node, HKG.budgetScope, Literal(row.object)))
        self.graph.add((node, HKG.fiscalYear, fiscal_year_iri(row.fiscal_year)))
        self.graph.add((node, HKG.fiscalYearNumber, Literal(row.fiscal_year)))
        self.graph.add((node, HKG.amountYen, Literal(row.amount_yen, datatype=XSD.decimal)))
        self.graph.add((node, HKG.precisionYen, Literal(_precision(row.amount_yen, multiplier), datatype=XSD.decimal)))
        self.graph.add((node, HKG.statedAmount, Literal(_stated(row.amount_yen, row.unit, multiplier))))
        self.graph.add((node, PROV.wasDerivedFrom, self.source(row)))
        self.graph.add((node, HKG.quote, Literal(row.quote)))

    def link(self, row: FactRow, program: URIRef, key: FactKey) -> None:
        if key.target is None:  # a property without a range (successorOf) links programs to programs here
            self.fact(row, program, key.term, self.program(row.object, row))
            return
        target = self.lexicon.lookup(row.object, key.target, row.fiscal_year)
        if target is None:
            self.skip(row, f"{row.object!r} names no {key.target.fragment} of the reference vocabulary")
            return
        if key.target == HKG.IntegratedProject:
            if not self.in_plan_period(target, row.fiscal_year):
                self.skip(row, "the listing is for a fiscal year outside the plan period of the project of that name")
                return
        if key.term == HKG.administeredBy:
            self.ministries[program] = target
        self.fact(row, program, key.term, target)

    def row(self, row: FactRow) -> None:
        key = self.keys.get(row.predicate)
        if row.subject_kind == "namesake-program":
            self.skip(row, "the source describes a different program that shares the name")
        elif key is not None and key.term == HKG.BudgetFigure:
            self.budget(row)
        elif row.subject_kind != "program":
            self.skip(row, f"facts whose subject is a {row.subject_kind}, not a program, stay in the curated file only")
        elif key is None:
            self.skip(row, "a free-text note, not a statement the model holds")
        elif key.target == HKG.OrganizationalUnit:
            program = self.program(row.subject, row)
            self.fact(row, program, key.term, self.unit(row, program))
        else:
            self.link(row, self.program(row.subject, row), key)


def load_facts(
    rows: Iterable[FactRow] | None = None, known_programs: Iterable[URIRef] = (), lexicon: Lexicon | None = None
) -> FactsLoad:
    """The facts graph; ``known_programs`` are programs documents already label (their label is kept)."""
    loader = _Loader(lexicon or default_lexicon(), set(known_programs))
    ministry_keys = {key for key, meaning in loader.keys.items() if meaning.term == HKG.administeredBy}
    ordered = sorted(read_facts() if rows is None else rows, key=lambda r: (r.predicate not in ministry_keys, r.line))
    for row in ordered:
        loader.row(row)
    loader.skipped.sort(key=lambda s: s.row.line)
    return FactsLoad(loader.graph, loader.skipped)
