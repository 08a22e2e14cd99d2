"""Curated facts (``healthkg.data/curated/facts.tsv``) as RDF in their own named graph.

Each row was verified on a public page; its URL and a short quote travel with it.
A row becomes the statement it supports (program → ministry, bureau, AMED department,
project, disease area, purpose, predecessor; an official English name or short form),
plus a ``hkg:CuratedFact`` that reifies the statement and carries ``prov:wasDerivedFrom``
the source URL, the quote and the fiscal year it held in; or it becomes a budget figure
of its stage: a program's whole budget, its share in one project (PJ区分), a project's,
an organisation's or the government's budget, with the route and the ministry whose part
it is where the row says so. Rows the model cannot place are not guessed at: they come
back as :class:`SkippedFact`, with the reason, for the audit; every other row is loaded.

The file is written from the reference facts file by ``healthkg facts-import``
(:mod:`healthkg.loaders.facts_reference`), which derives the subject's kind, the unit,
the stage and a share's project from each row's own words.

Programs are matched by name (:func:`healthkg.loaders.triples.program_iri`): a document's
program and a curated subject meet when their names do, whichever document it was. A
curated subject's trailing parenthesis is dropped only when it is the program's stated
short form (``…プログラム(B-cure)``); otherwise it names a part or another program
(``…研究事業(国際課分)``), which stays an entity of its own.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources

from rdflib import PROV, RDF, RDFS, SKOS, XSD, Graph, Literal, URIRef

from healthkg.loaders.amounts import stated_amounts
from healthkg.loaders.lexicon import Lexicon, default_lexicon
from healthkg.loaders.mentions import Matcher
from healthkg.loaders.normalize import match_key, normalize
from healthkg.loaders.triples import fiscal_year_iri, program_iri
from healthkg.ontology import HKG, ID, ontology_graph, reference_graph

FACTS_FILE = "curated/facts.tsv"
COLUMNS = (
    "subject",
    "subject_kind",
    "predicate",
    "object",
    "fiscal_year",
    "amount_yen",
    "unit",
    "stage",
    "project",
    "source_url",
    "quote",
    "decision",
)
_TRAILING = re.compile(r"^(?P<name>.+?)\s*\((?P<short>[^()]+)\)$")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


@dataclass(frozen=True)
class FactKey:
    """What a predicate key of the file means, as the ontology's ``hkg:factKey`` annotations say."""

    term: URIRef
    target: URIRef | None  # rdfs:range of a keyed property: the kind of individual the object names


@dataclass(frozen=True)
class BudgetSubject:
    """How a budget row of one subject_kind is placed: ``hkg:factSubjectKind`` on a budget-of property or class."""

    link: URIRef | None  # budgetOfProgram, budgetOfProject, ...; None for a figure of no subject (government)
    figure: URIRef  # the kind of budget figure
    subject: URIRef | None  # the kind of thing whose budget it is


def budget_subjects(ontology: Graph | None = None) -> dict[str, BudgetSubject]:
    graph = ontology_graph() if ontology is None else ontology
    found = {}
    for term, kind in graph.subject_objects(HKG.factSubjectKind):
        figure, subject = graph.value(term, RDFS.domain), graph.value(term, RDFS.range)
        if figure is not None and subject is not None:
            found[str(kind)] = BudgetSubject(URIRef(term), URIRef(figure), URIRef(subject))
        elif (term, RDFS.subClassOf, HKG.BudgetFigure) in graph:
            found[str(kind)] = BudgetSubject(None, URIRef(term), None)
    return found


def fact_keys(ontology: Graph | None = None) -> dict[str, FactKey]:
    """Predicate keys of the curated file, read from the ontology rather than kept beside the loader."""
    graph = ontology_graph() if ontology is None else ontology
    keys = {}
    for term, key in graph.subject_objects(HKG.factKey):
        target = graph.value(term, RDFS.range)
        keys[str(key)] = FactKey(URIRef(term), URIRef(target) if target is not None else None)
    return keys


def route_keys(reference: Graph | None = None) -> dict[str, URIRef]:
    """Budget keys (budget_fy_amed, …) → the funding route their figures take, from the reference vocabulary."""
    graph = reference_graph() if reference is None else reference
    return {str(key): URIRef(route) for route, key in graph.subject_objects(HKG.factKey)
            if (route, RDF.type, HKG.FundingRoute) in graph}


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
    stage: str
    project: str
    source_url: str
    quote: str
    decision: str


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
    loaded: list[FactRow] = field(default_factory=list)


def _digest(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).hexdigest()[:12]


def tsv_rows(text: str, name: str, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """The rows of a tab-separated file under its header, by line number (``#`` lines are comments);
    a wrong header or a row of the wrong width raises FactsFileError naming the file and line."""
    numbered = [(n, line) for n, line in enumerate(text.split("\n"), start=1) if line and not line.startswith("#")]
    if not numbered or tuple(numbered[0][1].split("\t")) != columns:
        raise FactsFileError(f"{name}: the header must be {' | '.join(columns)}")
    rows = []
    for number, line in numbered[1:]:
        cells = line.split("\t")
        if len(cells) != len(columns):
            raise FactsFileError(f"{name}:{number}: expected {len(columns)} tab-separated columns, found {len(cells)}")
        rows.append((number, dict(zip(columns, cells))))
    return rows


def year_and_amount(record: dict[str, str], name: str, number: int) -> tuple[int | None, Decimal | None]:
    """A row's fiscal_year and amount_yen, either of them empty."""
    try:
        year = int(record["fiscal_year"]) if record["fiscal_year"] else None
        amount = Decimal(record["amount_yen"]) if record["amount_yen"] else None
    except (ValueError, ArithmeticError) as error:
        raise FactsFileError(f"{name}:{number}: fiscal_year or amount_yen is not a number ({error})") from error
    return year, amount


def read_facts(text: str | None = None, name: str = FACTS_FILE) -> list[FactRow]:
    """Rows of the curated file (``#`` lines are comments); raises FactsFileError naming the line."""
    if text is None:
        text = resources.files("healthkg.data").joinpath(FACTS_FILE).read_text(encoding="utf-8")
    rows = []
    for number, record in tsv_rows(text, name, COLUMNS):
        if not record["source_url"].startswith(("http://", "https://")):
            raise FactsFileError(f"{name}:{number}: source_url must be an http(s) URL, not {record['source_url']!r}")
        year, amount = year_and_amount(record, name, number)
        if amount is not None and amount <= 0:
            raise FactsFileError(f"{name}:{number}: amount_yen must be positive")
        if record["decision"] and not record["decision"].startswith("skip: "):
            raise FactsFileError(f"{name}:{number}: a decision reads 'skip: <reason>', not {record['decision']!r}")
        rows.append(FactRow(number, record["subject"], record["subject_kind"], record["predicate"], record["object"],
                            year, amount, record["unit"], record["stage"], record["project"], record["source_url"],
                            record["quote"], record["decision"]))
    return rows


def _precision(amount: Decimal, multiplier: Decimal) -> Decimal:
    """A figure is exact to its unit, or to the last decimal the source wrote (32.5億円 → 10^7 yen)."""
    exponent = (amount / multiplier).normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    step = multiplier * Decimal(10) ** min(exponent, 0)
    return step.quantize(Decimal(1)) if step == step.to_integral_value() else step.normalize()


def _stated(amount: Decimal, unit: str, multiplier: Decimal) -> str:
    return f"{(amount / multiplier).normalize():f}{unit}"


def _kebab(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


class _Loader:
    def __init__(self, lexicon: Lexicon, known_programs: set[URIRef], short_forms: dict[str, set[str]]) -> None:
        self.lexicon = lexicon
        self.known = known_programs
        self.short_forms = short_forms
        self.graph = Graph()
        self.graph.bind("hkg", HKG)
        self.graph.bind("id", ID)
        self.skipped: list[SkippedFact] = []
        self.loaded: list[FactRow] = []
        self.ministries: dict[URIRef, URIRef] = {}
        ontology = ontology_graph()
        self.reference = reference_graph()
        self.keys = fact_keys(ontology)
        self.budget_subjects = budget_subjects(ontology)
        self.routes = route_keys(self.reference)
        self.stages = {code: stage for stage, code in lexicon.stage_codes.items()}
        self.ministry_names = Matcher(lexicon.of_type(HKG.Ministry))
        self.kind_labels = {
            URIRef(figure): str(label)
            for figure in ontology.transitive_subjects(RDFS.subClassOf, HKG.BudgetFigure)
            for label in ontology.objects(figure, RDFS.label) if getattr(label, "language", None) == "ja"
        }
        self.english: dict[URIRef, Literal] = {}

    # -- outcomes ---------------------------------------------------------------------------

    def skip(self, row: FactRow, reason: str) -> None:
        self.skipped.append(SkippedFact(row, reason))

    def source(self, row: FactRow) -> URIRef:
        url = URIRef(row.source_url)
        self.graph.add((url, RDF.type, HKG.CuratedSource))
        return url

    def state(self, triple: tuple[URIRef, URIRef, URIRef | Literal]) -> None:
        """Assert a statement here unless the reference vocabulary already does (one home per triple)."""
        if triple not in self.reference:
            self.graph.add(triple)

    def fact(self, row: FactRow, subject: URIRef, predicate: URIRef, obj: URIRef | Literal) -> None:
        self.state((subject, predicate, obj))
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
        self.loaded.append(row)

    # -- entities ---------------------------------------------------------------------------

    def program_name(self, name: str) -> str:
        """A curated subject's program name: without a trailing short form the source states for it."""
        match = _TRAILING.match(normalize(name))
        if match and match_key(match.group("short")) in self.short_forms.get(match_key(name), set()):
            return match.group("name")
        return normalize(name)

    def program(self, name: str, row: FactRow) -> URIRef:
        label = self.program_name(name)
        node = program_iri(label)
        if node not in self.known:  # a document's type and label win: one ja label per program
            self.graph.add((node, RDF.type, HKG.Program))
            self.graph.add((node, RDFS.label, Literal(label, lang="ja")))
            self.graph.add((node, PROV.wasDerivedFrom, self.source(row)))
            self.known.add(node)
        return node

    def project(self, name: str, row: FactRow, what: str) -> URIRef | None:
        """The integrated project a dated or undated row names, or None (skipped with the reason)."""
        if row.fiscal_year is None:
            found = self.lexicon.candidates(name, HKG.IntegratedProject)
            if len(found) > 1:
                self.skip(row, f"undated, and {name!r} names a project of more than one plan period: not guessed")
                return None
            project = found[0] if found else None
        else:
            project = self.lexicon.lookup(name, HKG.IntegratedProject, row.fiscal_year)
        if project is None:
            self.skip(row, f"{name!r} names no IntegratedProject of the reference vocabulary")
            return None
        if row.fiscal_year is not None and not self.lexicon.in_period(project, row.fiscal_year):
            first, last = self.lexicon.periods.get(project, (None, None))
            span = f"FY{first}–{'' if last is None else f'FY{last}'}"
            self.skip(row, f"{what} names a project of the plan period {span} for FY{row.fiscal_year}, outside that "
                           "period (a name of another period): not guessed")
            return None
        return project

    def reference_individual(self, row: FactRow, kind: URIRef) -> URIRef | None:
        subject = self.lexicon.lookup(row.subject, kind, row.fiscal_year)
        if subject is None:
            self.skip(row, f"{row.subject!r} names no {kind.fragment} of the reference vocabulary")
        return subject

    def subject(self, row: FactRow) -> URIRef | None:
        """The entity a naming row (label_en, acronym) is about."""
        kinds = {"program": None, "project": HKG.IntegratedProject, "framework": HKG.PolicyFramework,
                 "organisation": HKG.Organization}
        if row.subject_kind not in kinds:
            self.skip(row, f"a {row.subject_kind} has no entity to name")
            return None
        kind = kinds[row.subject_kind]
        return self.program(row.subject, row) if kind is None else self.reference_individual(row, kind)

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

    # -- names --------------------------------------------------------------------------------

    def name(self, row: FactRow, key: FactKey) -> None:
        """An official English name (rdfs:label@en, further ones skos:altLabel@en) or short form (hkg:acronym)."""
        entity = self.subject(row)
        if entity is None:
            return
        text = normalize(row.object)
        if key.term == HKG.acronym:
            short = Literal(text, lang="ja" if _JAPANESE.search(text) else "en")
            self.fact(row, entity, HKG.acronym, short)
            self.fact(row, entity, SKOS.altLabel, short)  # so a search by any name finds it
            return
        english = Literal(text, lang="en")
        if entity not in self.english:
            stated = [o for o in self.reference.objects(entity, RDFS.label) if getattr(o, "language", None) == "en"]
            self.english[entity] = stated[0] if stated else english
        predicate = RDFS.label if self.english[entity] == english else SKOS.altLabel
        self.fact(row, entity, predicate, english)

    # -- budgets ------------------------------------------------------------------------------

    def appropriating(self, row: FactRow) -> URIRef | None:
        """The one ministry whose part a project or government figure is, when its words name one."""
        named = {found.iri for text in (row.subject, row.object) for found in self.ministry_names.find(text)}
        return next(iter(named)) if len(named) == 1 else None

    def budget_subject(self, row: FactRow, kind: BudgetSubject) -> tuple[URIRef | None, URIRef | None] | None:
        """(subject, project) of a figure: the program (created if new) and, for a share, its project."""
        if kind.subject == HKG.Program:
            project = None
            if row.project:
                project = self.project(row.project, row, "the share")
                if project is None:
                    return None
            return self.program(row.subject, row), project
        if kind.subject is None:
            return None, None
        if kind.subject == HKG.IntegratedProject:
            project = self.project(row.subject, row, "the budget")
            return (project, None) if project is not None else None
        subject = self.reference_individual(row, kind.subject)
        return (subject, None) if subject is not None else None

    def figure(self, row: FactRow) -> None:
        kind = self.budget_subjects.get(row.subject_kind)
        if kind is None:
            self.skip(row, f"budgets whose subject is a {row.subject_kind} stay in the curated file only")
            return
        if row.fiscal_year is None or row.amount_yen is None or not row.unit:
            self.skip(row, "a budget figure needs a fiscal year, an amount and its unit")
            return
        multiplier = self.lexicon.units.get(normalize(row.unit))
        if multiplier is None:
            self.skip(row, f"{row.unit!r} is not an amount unit of the reference vocabulary")
            return
        stage = self.stages.get(row.stage) if row.stage else self.lexicon.default_stage
        if stage is None:
            self.skip(row, f"{row.stage!r} is not a budget stage of the reference vocabulary")
            return
        placed = self.budget_subject(row, kind)
        if placed is None:
            return
        subject, project = placed
        figure_class, link = (HKG.ProgramShare, HKG.shareOfProgram) if project is not None else (kind.figure, kind.link)
        owner = str(subject).rsplit("/", 1)[1] if subject is not None else "all"
        node = ID[f"{_kebab(figure_class.fragment)}/{owner}/{row.fiscal_year}/{_digest(row.source_url, row.object)}"]
        name = row.subject if subject is None else (
            self.graph.value(subject, RDFS.label) or self.lexicon_label(subject) or self.program_name(row.subject))
        kind_label = self.kind_labels[figure_class]
        self.graph.add((node, RDF.type, figure_class))
        label = f"{name} {row.fiscal_year}年度 {kind_label}({row.object})"
        self.graph.add((node, RDFS.label, Literal(label, lang="ja")))
        if link is not None and subject is not None:
            self.graph.add((node, link, subject))
        if project is not None:
            self.graph.add((node, HKG.inProject, project))
        self.graph.add((node, HKG.budgetScope, Literal(row.object)))
        self.graph.add((node, HKG.budgetStatus, stage))
        route = self.routes.get(row.predicate)
        if route is not None:
            self.graph.add((node, HKG.fundingRoute, route))
        if kind.subject in (HKG.IntegratedProject, None):
            ministry = self.appropriating(row)
            if ministry is not None:
                self.graph.add((node, HKG.appropriatedBy, ministry))
        self.graph.add((node, HKG.fiscalYear, fiscal_year_iri(row.fiscal_year)))
        self.graph.add((node, HKG.fiscalYearNumber, Literal(row.fiscal_year)))
        self.graph.add((node, HKG.amountYen, Literal(row.amount_yen, datatype=XSD.decimal)))
        self.graph.add((node, HKG.precisionYen, Literal(_precision(row.amount_yen, multiplier), datatype=XSD.decimal)))
        self.graph.add((node, HKG.statedAmount, Literal(self.stated_amount(row, multiplier))))
        self.graph.add((node, PROV.wasDerivedFrom, self.source(row)))
        self.graph.add((node, HKG.quote, Literal(row.quote)))
        self.loaded.append(row)

    def lexicon_label(self, iri: URIRef) -> str | None:
        labels = [o for o in self.reference.objects(iri, RDFS.label) if getattr(o, "language", None) == "ja"]
        return str(labels[0]) if labels else None

    def stated_amount(self, row: FactRow, multiplier: Decimal) -> str:
        """The amount as the row's words or quote write it, else rebuilt in the unit it was stated in."""
        for text in (row.object, row.quote):
            for amount in stated_amounts(text, self.lexicon.units):
                if amount.yen == row.amount_yen and amount.unit == normalize(row.unit):
                    return amount.stated
        assert row.amount_yen is not None
        return _stated(row.amount_yen, row.unit, multiplier)

    # -- statements ---------------------------------------------------------------------------

    def link(self, row: FactRow, program: URIRef, key: FactKey) -> None:
        if key.target is None:  # a property without a range (successorOf) links programs to programs here
            self.fact(row, program, key.term, self.program(row.object, row))
            return
        if key.target == HKG.IntegratedProject:
            project = self.project(row.object, row, "the listing")
            if project is not None:
                self.fact(row, program, key.term, project)
            return
        target = self.lexicon.lookup(row.object, key.target, row.fiscal_year)
        qualified = _TRAILING.match(normalize(row.object))
        if target is None and qualified:  # 腎疾患(慢性腎臓病 CKD): the name before a qualifying parenthesis
            target = self.lexicon.lookup(qualified.group("name"), key.target, row.fiscal_year)
        if target is None:
            self.skip(row, f"{row.object!r} names no {key.target.fragment} of the reference vocabulary")
            return
        if key.term == HKG.administeredBy:
            self.ministries[program] = target
        self.fact(row, program, key.term, target)

    def row(self, row: FactRow) -> None:
        key = self.keys.get(row.predicate)
        if row.decision:
            self.skip(row, row.decision.removeprefix("skip: "))
        elif row.subject_kind == "namesake-program":
            self.skip(row, "the source describes a different program that shares the name")
        elif row.stage or (key is not None and key.term == HKG.BudgetFigure):
            self.figure(row)
        elif key is not None and key.term in (RDFS.label, HKG.acronym):
            self.name(row, key)
        elif row.subject_kind != "program":
            self.skip(row, f"a {row.predicate} fact about a {row.subject_kind} subject (not a program) stays in the "
                           "curated file only")
        elif key is None:
            self.skip(row, "a free-text note, not a statement the model holds")
        elif key.target == HKG.OrganizationalUnit:
            if not _JAPANESE.search(row.object):
                self.skip(row, "a unit named only in English: units are named by their Japanese name")
                return
            program = self.program(row.subject, row)
            self.fact(row, program, key.term, self.unit(row, program))
        else:
            self.link(row, self.program(row.subject, row), key)


def short_forms(rows: Iterable[FactRow]) -> dict[str, set[str]]:
    """Subject (match key) → the short forms its acronym rows state."""
    found: dict[str, set[str]] = {}
    for row in rows:
        if row.predicate == "acronym":
            found.setdefault(match_key(row.subject), set()).add(match_key(row.object))
    return found


def load_facts(
    rows: Iterable[FactRow] | None = None, known_programs: Iterable[URIRef] = (), lexicon: Lexicon | None = None
) -> FactsLoad:
    """The facts graph; ``known_programs`` are programs documents already label (their label is kept)."""
    rows = list(read_facts() if rows is None else rows)
    loader = _Loader(lexicon or default_lexicon(), set(known_programs), short_forms(rows))
    ministry_keys = {key for key, meaning in loader.keys.items() if meaning.term == HKG.administeredBy}
    for row in sorted(rows, key=lambda r: (r.predicate not in ministry_keys, r.line)):
        loader.row(row)
    loader.skipped.sort(key=lambda s: s.row.line)
    loaded = sorted({row.line: row for row in loader.loaded}.values(), key=lambda r: r.line)
    return FactsLoad(loader.graph, loader.skipped, loaded)
