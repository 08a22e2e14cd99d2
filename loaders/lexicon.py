"""What the loaders know of the world, read from the ontology's reference Turtle.

Era names, amount units, funding-route headings and the names of projects and
organisations are data in ``healthkg.ontology``; this module indexes them for
the parser so that no name or number of any one document lives in code.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources

from rdflib import RDF, RDFS, SKOS, Graph, URIRef

from healthkg.loaders.normalize import match_key, normalize
from healthkg.loaders.numerals import kanji_number
from healthkg.ontology import HKG, ontology_graph, reference_graph


@dataclass(frozen=True)
class Era:
    iri: URIRef
    marker: str
    first_year: int
    start: date


@dataclass(frozen=True)
class Repair:
    """One conversion typo fixed on one line, with what the document really said."""

    line: int
    original: str
    repaired: str
    note: str


@dataclass(frozen=True)
class RepairRule:
    pattern: re.Pattern[str]
    replacement: str
    note: str


@dataclass
class Lexicon:
    eras: dict[str, Era]
    units: dict[str, Decimal]
    routes: dict[str, URIRef]
    default_route: URIRef
    route_codes: dict[URIRef, str]
    names: dict[str, tuple[URIRef, ...]] = field(default_factory=dict)
    types: dict[URIRef, set[URIRef]] = field(default_factory=dict)
    repairs: tuple[RepairRule, ...] = ()
    surfaces: dict[str, URIRef] = field(default_factory=dict)
    kinds: tuple[tuple[str, URIRef], ...] = ()
    superclasses: dict[URIRef, set[URIRef]] = field(default_factory=dict)
    relisting_statuses: dict[str, URIRef] = field(default_factory=dict)
    periods: dict[URIRef, tuple[int, int | None]] = field(default_factory=dict)
    labelled: dict[str, frozenset[URIRef]] = field(default_factory=dict)
    stages: tuple[tuple[str, URIRef], ...] = ()
    default_stage: URIRef | None = None
    stage_codes: dict[URIRef, str] = field(default_factory=dict)

    def stage_named(self, text: str) -> URIRef | None:
        """The budget stage the text names first (longest marker at a position), or None when it names none.

        >>> lexicon = default_lexicon()
        >>> [lexicon.stage_codes[lexicon.stage_named(t)] for t in ("予算額(案)(億円)", "前年度 (R4予算案の括弧内)")]
        ['draft', 'initial']
        >>> lexicon.stage_named("事業期間 令和3~11年度") is None
        True
        """
        text = normalize(text)
        for start in range(len(text)):
            for marker, stage in self.stages:
                if text.startswith(marker, start):
                    return stage
        return None

    def budget_status(self, words: str) -> URIRef:
        """The stage a figure's words name (概算要求額 → request), else the default stage (a plain 予算額)."""
        stage = self.stage_named(words)
        if stage is None:
            stage = self.default_stage
        if stage is None:
            raise ValueError("the reference vocabulary marks no hkg:BudgetStatus as hkg:isDefault")
        return stage

    def relisting_status(self, code: str) -> URIRef:
        """The hkg:RelistingStatus individual whose hkg:code the parser uses for a line's relisting."""
        try:
            return self.relisting_statuses[code]
        except KeyError:
            raise ValueError(f"the reference vocabulary has no hkg:RelistingStatus with hkg:code {code!r}") from None

    def is_a(self, iri: URIRef, kind: URIRef) -> bool:
        """Whether an individual is of a class, directly or through rdfs:subClassOf."""
        return any(t == kind or kind in self.superclasses.get(t, set()) for t in self.types.get(iri, set()))

    def of_type(self, kind: URIRef) -> dict[str, URIRef]:
        """Every label and alias (NFKC form) of the reference individuals of a class or its subclasses."""
        return {text: iri for text, iri in self.surfaces.items() if self.is_a(iri, kind)}

    def kind_of(self, name: str, among: tuple[URIRef, ...] = ()) -> URIRef | None:
        """The class whose kind marker ends ``name`` (longest marker wins), optionally among some classes."""
        for marker, kind in self.kinds:
            if (not among or kind in among) and normalize(name).endswith(marker):
                return kind
        return None

    def candidates(self, text: str, kind: URIRef | None = None) -> tuple[URIRef, ...]:
        """Every reference individual a name may denote (of one class, or a subclass, if given)."""
        found = self.names.get(match_key(text), ())
        return tuple(iri for iri in found if kind is None or self.is_a(iri, kind))

    def in_period(self, iri: URIRef, fiscal_year: int) -> bool:
        """Whether an individual's plan period (if it has one) includes a fiscal year."""
        first, last = self.periods.get(iri, (fiscal_year, fiscal_year))
        return first <= fiscal_year and (last is None or fiscal_year <= last)

    def lookup(self, text: str, kind: URIRef | None = None, fiscal_year: int | None = None) -> URIRef | None:
        """The one reference individual a name denotes, or None when it names none or stays ambiguous.

        Plans reuse names (医薬品プロジェクト is a project of the 2nd and of the 3rd
        period), so a fiscal year, where known, picks the individual whose plan
        period includes it.
        """
        found = self.candidates(text, kind)
        if len(found) > 1 and fiscal_year is not None:
            found = tuple(iri for iri in found if self.in_period(iri, fiscal_year))
        if len(found) > 1 and self.labelled.get(match_key(text)):
            found = tuple(iri for iri in found if iri in self.labelled[match_key(text)])
        return found[0] if len(found) == 1 else None

    def era_for(self, day: date) -> Era:
        """The era in force on a day (FY2019 began on 1 April 2019, still 平成31)."""
        current = [era for era in self.eras.values() if era.start <= day]
        if not current:
            raise ValueError(f"no era known for {day.isoformat()}")
        return max(current, key=lambda era: era.start)

    @staticmethod
    def fiscal_year(day: date) -> int:
        """The Japanese fiscal year a day falls in (it begins on 1 April)."""
        return day.year if day.month >= 4 else day.year - 1

    def gregorian(self, era_marker: str, era_year: str) -> int:
        """令和2 → 2020; 元 counts as 1, and the year may be written in kanji (令和三 → 2021)."""
        era = self.eras[era_marker]
        number = 1 if era_year == "元" else kanji_number(era_year)
        return era.first_year + number - 1

    def repair(self, line_number: int, text: str) -> tuple[str, list[Repair]]:
        done: list[Repair] = []
        for rule in self.repairs:
            fixed = rule.pattern.sub(rule.replacement, text)
            if fixed != text:
                done.append(Repair(line_number, text, fixed, rule.note))
                text = fixed
        return text, done


def _literals(graph: Graph, subject: URIRef, predicate: URIRef) -> list[str]:
    return [str(o) for o in graph.objects(subject, predicate)]


def _repair_rules() -> tuple[RepairRule, ...]:
    text = resources.files("healthkg.loaders").joinpath("repairs.tsv").read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines(), delimiter="\t")
    return tuple(RepairRule(re.compile(row["pattern"]), row["replacement"], row["note"]) for row in rows)


def build_lexicon(graph: Graph) -> Lexicon:
    """Index a reference graph; separate from :func:`default_lexicon` so tests can vary it."""
    eras = {}
    for era in graph.subjects(RDF.type, HKG.Era):
        start = date.fromisoformat(str(graph.value(era, HKG.eraStart)))
        first = int(graph.value(era, HKG.firstGregorianYear))
        for marker in _literals(graph, era, HKG.documentMarker):
            eras[normalize(marker)] = Era(URIRef(era), normalize(marker), first, start)
    units = {
        normalize(marker): Decimal(str(graph.value(unit, HKG.multiplier)))
        for unit in graph.subjects(RDF.type, HKG.AmountUnit)
        for marker in _literals(graph, unit, HKG.documentMarker)
    }
    routes: dict[str, URIRef] = {}
    codes: dict[URIRef, str] = {}
    default = None
    for route in graph.subjects(RDF.type, HKG.FundingRoute):
        assert isinstance(route, URIRef)
        codes[route] = str(graph.value(route, HKG.code))
        for marker in _literals(graph, route, HKG.documentMarker):
            routes[normalize(marker)] = route
        if graph.value(route, HKG.isDefault) is not None and bool(graph.value(route, HKG.isDefault).toPython()):
            default = route
    if default is None:
        raise ValueError("the reference vocabulary marks no funding route as hkg:isDefault")
    types: dict[URIRef, set[URIRef]] = {}
    for subject, _, cls in graph.triples((None, RDF.type, None)):
        if isinstance(subject, URIRef) and isinstance(cls, URIRef):
            types.setdefault(subject, set()).add(cls)
    surfaces: dict[str, URIRef] = {}
    labelled: dict[str, list[URIRef]] = {}
    aliased: dict[str, list[URIRef]] = {}
    for predicate, into in ((SKOS.altLabel, aliased), (SKOS.prefLabel, labelled), (RDFS.label, labelled)):
        for subject, label in sorted(graph.subject_objects(predicate)):
            if isinstance(subject, URIRef) and subject in types and not subject.startswith(HKG):
                keyed = into.setdefault(match_key(str(label)), [])
                if subject not in keyed:
                    keyed.append(subject)
                surfaces[normalize(str(label))] = subject
    names: dict[str, tuple[URIRef, ...]] = {}
    for key in labelled.keys() | aliased.keys():  # labels first: they win over aliases
        first = labelled.get(key, [])
        names[key] = tuple(first) + tuple(iri for iri in aliased.get(key, []) if iri not in first)
    kinds = sorted(
        ((normalize(str(marker)), URIRef(str(kind))) for kind, marker in graph.subject_objects(HKG.kindMarker)),
        key=lambda pair: (-len(pair[0]), pair[0]),
    )
    relisting = {str(graph.value(status, HKG.code)): status for status in graph.subjects(RDF.type, HKG.RelistingStatus)
                 if isinstance(status, URIRef) and graph.value(status, HKG.code) is not None}
    stages, default_stage, stage_codes = _stages(graph)
    return Lexicon(eras, units, routes, default, codes, names, types, _repair_rules(), surfaces, tuple(kinds),
                   _superclasses(graph), relisting, _plan_periods(graph),
                   {key: frozenset(found) for key, found in labelled.items()}, stages, default_stage, stage_codes)


def _stages(graph: Graph) -> tuple[tuple[tuple[str, URIRef], ...], URIRef | None, dict[URIRef, str]]:
    """Budget-stage markers, longest first (so 予算額(案) is read before 予算額), the default stage and codes."""
    markers, default, codes = [], None, {}
    for stage in graph.subjects(RDF.type, HKG.BudgetStatus):
        if not isinstance(stage, URIRef):
            continue
        codes[stage] = str(graph.value(stage, HKG.code))
        markers += [(normalize(marker), stage) for marker in _literals(graph, stage, HKG.documentMarker)]
        flag = graph.value(stage, HKG.isDefault)
        if flag is not None and bool(flag.toPython()):
            default = stage
    markers.sort(key=lambda pair: (-len(pair[0]), pair[0]))
    return tuple(markers), default, codes


def _year(node: object) -> int:
    """The Gregorian year of a fiscal-year IRI (``…/id/fy/2020``)."""
    return int(str(node).rsplit("/", 1)[1])


def _plan_periods(graph: Graph) -> dict[URIRef, tuple[int, int | None]]:
    """First and last fiscal year (None: still running) of each individual that belongs to a plan."""
    periods: dict[URIRef, tuple[int, int | None]] = {}
    for member, plan in graph.subject_objects(HKG.partOfPlan):
        period = graph.value(plan, HKG.hasPeriod)
        first = graph.value(period, HKG.firstFiscalYear) if period is not None else None
        if isinstance(member, URIRef) and first is not None:
            last = graph.value(period, HKG.lastFiscalYear)
            periods[member] = (_year(first), _year(last) if last is not None else None)
    return periods


def _superclasses(graph: Graph) -> dict[URIRef, set[URIRef]]:
    """Each class → every class it is a subclass of, through any number of rdfs:subClassOf steps."""
    classes = {sub for sub in graph.subjects(RDFS.subClassOf) if isinstance(sub, URIRef)}
    return {cls: {sup for sup in graph.transitive_objects(cls, RDFS.subClassOf) if isinstance(sup, URIRef)} - {cls}
            for cls in classes}


@cache
def default_lexicon() -> Lexicon:
    """The reference individuals, plus the kind markers the TBox puts on its classes."""
    return build_lexicon(reference_graph() + ontology_graph())
