"""The policy frame a deck states: law, strategy and plan, their periods, policies and bodies.

Everything is read from the family's citation grammar (``…法(平成26年法律第48号)第17条``,
``○…(第2期)(令和2年3月27日…決定)``, ``第2期計画の期間は、2020～2024年度の5年間``)
and typed by the kind markers and labels of the ontology, so another document of
the family that cites another law or plan is read the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from rdflib import URIRef

from healthkg.loaders.lexicon import Lexicon
from healthkg.loaders.normalize import match_key
from healthkg.loaders.numerals import KANJI_NUMBER, kanji_number
from healthkg.loaders.outline import Block
from healthkg.loaders.text import ITEM, SourceLine, Span, heading_title, span_of
from healthkg.ontology import HKG

_NAME_CHARS = r"[一-龥々ァ-ヶーA-Za-z・]"
_NUMBER = rf"(?:\d+|{KANJI_NUMBER}|元)"
_BASIC_POLICY = re.compile(r"^(?:\d+\s*[.)]\s*)?基本(?:的な)?方針$")
_OTHER_AGENCIES = re.compile(r"^他の資金配分機関$")
_CORE_AGENCY = re.compile(r"(?P<org>[A-Za-z]+|[一-龥ァ-ヶー・]+?)(?:による支援)?を中核とした")
_IN_LINE_WITH = re.compile(rf"(?P<name>{_NAME_CHARS}+)に即して策定")
_ESTABLISHED = re.compile(rf"(?P<name>{_NAME_CHARS}+)の設置")
_UNDER = re.compile(rf"(?P<parent>{_NAME_CHARS}+)の下に")
_PERIOD = re.compile(
    r"(?P<first>\d{4})\s*(?:年度)?\s*(?:から|~|-|－|〜)\s*(?P<last>\d{4})\s*年度(?:まで)?の\s*(?P<years>\d+)\s*年間"
)
_ARTICLE_QUOTE = re.compile(rf"^第(?P<article>{_NUMBER})条\s+(?P<text>.+)$")


@dataclass(frozen=True)
class FrameworkKey:
    """A strategy or plan is named by its name and its period (第2期)."""

    name: str
    period: int | None

    @property
    def label(self) -> str:
        return f"{self.name}(第{self.period}期)" if self.period is not None else self.name


@dataclass
class Framework:
    key: FrameworkKey
    kind: URIRef
    span: Span
    decided: date | None = None
    decider: str | None = None


@dataclass
class Law:
    name: str
    number: str
    span: Span


@dataclass
class ArticleCitation:
    law: str
    article: int
    span: Span
    basis_of: FrameworkKey | None  # the framework made "に基づき" this article, if the line says so
    text: str = ""  # the article's own words when the document quotes it


@dataclass
class Period:
    framework: FrameworkKey
    first: int
    last: int
    span: Span


@dataclass
class BasicPolicy:
    framework: FrameworkKey
    title: str
    description: str
    span: Span


@dataclass
class AgencyRole:
    framework: FrameworkKey
    agency: URIRef
    core: bool
    span: Span


@dataclass
class Body:
    """A body the document establishes or names as a decider and the vocabulary may not know."""

    name: str
    kind: URIRef
    span: Span
    under: str | None = None


@dataclass
class PolicyExtract:
    frameworks: dict[FrameworkKey, Framework] = field(default_factory=dict)
    laws: dict[str, Law] = field(default_factory=dict)
    articles: list[ArticleCitation] = field(default_factory=list)
    periods: list[Period] = field(default_factory=list)
    policies: list[BasicPolicy] = field(default_factory=list)
    agencies: list[AgencyRole] = field(default_factory=list)
    bodies: list[Body] = field(default_factory=list)
    implements: list[tuple[FrameworkKey, FrameworkKey, Span]] = field(default_factory=list)
    current: dict[int, FrameworkKey] = field(default_factory=dict)  # line number → framework in force


class PolicyReader:
    """One pass over a document's lines and outline."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        eras = "|".join(re.escape(e) for e in sorted(lexicon.eras, key=len, reverse=True))
        self.frame_kinds = (HKG.Strategy, HKG.Plan)
        markers = "|".join(re.escape(m) for m, kind in lexicon.kinds if kind in self.frame_kinds)
        self.citation = re.compile(
            rf"[○◯]?\s*(?P<name>[^()○◯\s]+?)\(第(?P<period>\d+)期\)\((?P<era>{eras})\s*(?P<year>元|\d+)年"
            rf"(?P<month>\d+)月(?P<day>\d+)日(?P<decider>[^()]*?)決定\)"
        )
        self.titled = re.compile(rf"第(?P<period>\d+)期(?P<name>[^\s第]+?(?:{markers}))")
        self.switch = re.compile(rf"第(?P<period>\d+)期(?:の)?(?P<marker>{markers})")
        self.law = re.compile(
            rf"(?P<name>{_NAME_CHARS}+?法)\((?P<era>{eras})(?P<year>{_NUMBER})年法律第(?P<number>{_NUMBER})号\)"
            rf"(?:第(?P<article>{_NUMBER})条)?(?P<basis>に基づ)?"
        )
        self.result = PolicyExtract()

    def read(self, lines: list[SourceLine], blocks: list[Block], title: str) -> PolicyExtract:
        for line in lines:
            self._citation(line)
        subject = self._title_framework(title, lines[0] if lines else None)
        for line in lines:
            subject = self._switch(line, subject)
            if subject is not None:
                self.result.current[line.number] = subject
            self._law(line, subject)
            self._period(line, subject)
            self._core_agency(line, subject)
            self._in_line_with(line)
        for index, block in enumerate(blocks):
            self._quoted_articles(block)
            self._basic_policies(block, blocks[index + 1 :])
            self._other_agencies(block)
            self._established(block)
        return self.result

    # -- frameworks ------------------------------------------------------------------
    def _kind(self, name: str) -> URIRef:
        return self.lexicon.kind_of(name, self.frame_kinds) or HKG.PolicyFramework

    def _citation(self, line: SourceLine) -> None:
        text = line.text.replace("**", "")
        match = self.citation.search(text)
        if match is None:
            return
        key = FrameworkKey(match["name"], int(match["period"]))
        year = self.lexicon.gregorian(match["era"], match["year"])
        decider = match["decider"].strip() or None
        self.result.frameworks[key] = Framework(
            key, self._kind(key.name), line.span, date(year, int(match["month"]), int(match["day"])), decider
        )
        if decider is not None and self._organisation(decider) is None:
            kind = self.lexicon.kind_of(decider, (HKG.Headquarters, HKG.Council)) or HKG.GovernmentBody
            self.result.bodies.append(Body(decider, kind, line.span))

    def _title_framework(self, title: str, first: SourceLine | None) -> FrameworkKey | None:
        match = self.titled.search(title)
        if match is None or first is None:
            return None
        key = FrameworkKey(match["name"], int(match["period"]))
        if key not in self.result.frameworks:
            self.result.frameworks[key] = Framework(key, self._kind(key.name), first.span)
        return key

    def _by_marker(self, period: int, marker: str) -> FrameworkKey | None:
        found = [k for k, f in self.result.frameworks.items() if k.period == period and k.name.endswith(marker)]
        return found[0] if len(found) == 1 else None

    def _switch(self, line: SourceLine, subject: FrameworkKey | None) -> FrameworkKey | None:
        text = line.text.replace("**", "")
        cited = self.citation.search(text)
        if cited:
            return FrameworkKey(cited["name"], int(cited["period"]))
        mentioned = self.switch.search(text)
        if mentioned:
            return self._by_marker(int(mentioned["period"]), mentioned["marker"]) or subject
        return subject

    # -- law -------------------------------------------------------------------------
    def _law(self, line: SourceLine, subject: FrameworkKey | None) -> None:
        for match in self.law.finditer(line.text.replace("**", "")):
            name = match["name"]
            year = kanji_number(match["year"]) if match["year"] != "元" else 1
            number = f"{match['era']}{year}年法律第{kanji_number(match['number'])}号"
            self.result.laws.setdefault(name, Law(name, number, line.span))
            if match["article"]:
                basis = subject if match["basis"] else None
                self.result.articles.append(ArticleCitation(name, kanji_number(match["article"]), line.span, basis))

    def _quoted_articles(self, block: Block) -> None:
        """Articles quoted under a heading that cites their law (``○…法(…号)`` then ``第二条 …``)."""
        if block.heading is None:
            return
        cited = self.law.search(block.title)
        if cited is None:
            return
        law = cited["name"]
        for part in [block, *self._descendants(block)]:
            for line in part.lines:
                quoted = _ARTICLE_QUOTE.match(line.text)
                if quoted:
                    self.result.articles.append(
                        ArticleCitation(law, kanji_number(quoted["article"]), line.span, None, quoted["text"])
                    )

    @staticmethod
    def _descendants(block: Block) -> list[Block]:
        found = []
        for child in block.children:
            found.extend([child, *PolicyReader._descendants(child)])
        return found

    # -- periods, policies, agencies -----------------------------------------------
    def _period(self, line: SourceLine, subject: FrameworkKey | None) -> None:
        match = _PERIOD.search(line.text.replace("**", ""))
        if match and subject is not None:
            self.result.periods.append(Period(subject, int(match["first"]), int(match["last"]), line.span))

    def _basic_policies(self, block: Block, following: list[Block]) -> None:
        if block.heading is not None and _BASIC_POLICY.match(block.title):
            owner = self.result.current.get(block.heading.number)
            for line in block.lines:
                item = ITEM.match(line.text)
                if item and owner is not None:
                    title, _, description = item[1].replace("**", "").partition(":")
                    self.result.policies.append(BasicPolicy(owner, title.strip(), description.strip(), line.span))
            return
        marker = next((line for line in block.lines if _BASIC_POLICY.match(line.text)), None)
        owner = self.result.current.get(marker.number) if marker else None
        if marker is None or owner is None:
            return
        for later in following:
            items = [line for line in later.lines if ITEM.match(line.text)]
            if later.heading is None or not items:
                return
            description = "\n".join(ITEM.match(line.text)[1] for line in items)  # type: ignore[index]
            self.result.policies.append(BasicPolicy(owner, later.title, description, span_of([later.heading, *items])))
            if any(line.text and not ITEM.match(line.text) for line in later.lines):
                return

    def _other_agencies(self, block: Block) -> None:
        if block.heading is None or not _OTHER_AGENCIES.match(block.title):
            return
        owner = self.result.current.get(block.heading.number)
        for line in block.lines:
            agency = self.lexicon.lookup(line.text, HKG.FundingAgency) if line.text else None
            if agency is not None and owner is not None:
                self.result.agencies.append(AgencyRole(owner, agency, False, span_of([block.heading, line])))

    def _core_agency(self, line: SourceLine, subject: FrameworkKey | None) -> None:
        for match in _CORE_AGENCY.finditer(line.text.replace("**", "")):
            agency = self.lexicon.lookup(match["org"], HKG.FundingAgency)
            if agency is not None and subject is not None:
                self.result.agencies.append(AgencyRole(subject, agency, True, line.span))

    def _in_line_with(self, line: SourceLine) -> None:
        match = _IN_LINE_WITH.search(line.text)
        if match is None:
            return
        strategies = [k for k in self.result.frameworks if match_key(k.name) == match_key(match["name"])]
        for strategy in strategies:
            plans = [k for k, f in self.result.frameworks.items() if f.kind == HKG.Plan and k.period == strategy.period]
            if len(plans) == 1:
                self.result.implements.append((plans[0], strategy, line.span))

    # -- bodies ----------------------------------------------------------------------
    def _organisation(self, name: str) -> URIRef | None:
        iri = self.lexicon.lookup(name)
        return iri if iri is not None and self.lexicon.is_a(iri, HKG.Organization) else None

    def _established(self, block: Block) -> None:
        """``…協議会の設置について`` and, in its text, ``…会議の下に…を置く``."""
        found = heading_title(block.heading) if block.heading is not None else None
        if found is None:
            return
        for match in _ESTABLISHED.finditer(found[1]):
            kind = self.lexicon.kind_of(match["name"], (HKG.Headquarters, HKG.Council))
            if kind is None:
                continue
            under = next((m["parent"] for line in block.lines if (m := _UNDER.search(line.text))), None)
            lines = [block.heading] + [line for line in block.lines if under and _UNDER.search(line.text)]
            self.result.bodies.append(Body(match["name"], kind, span_of(lines), under))


def read_policy(lines: list[SourceLine], blocks: list[Block], title: str, lexicon: Lexicon) -> PolicyExtract:
    """The law, frameworks, periods, basic policies, agencies and bodies a document states."""
    return PolicyReader(lexicon).read(lines, blocks, title)
