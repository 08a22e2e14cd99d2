"""Parse a slide deck of the 健康・医療戦略 family (PDF converted to Markdown-ish text).

Two slide styles carry budgets and both are read from their structure, not from
any document's names:

* list style (令和2年度 decks): a project heading, era-dated declared totals under
  funding-route headings, then bullet items ``- **事業名**: 説明 予算額19億円``; several
  names separated by ``/`` share one figure (a program group); a figure may wrap
  onto the next line.
* block style (平成31年度 decks): ``## ●事業名`` blocks whose body holds
  ``平成31年度予算額 18.9億円``, optionally under a route heading and followed by a
  relisting marker ``<<再掲:…部分>>``.

A figure's year may be written with an era (令和2年度, 令和三年度, 令和元年度) or in
the Western calendar (2021年度); its stage of the budget process comes from its
words (予算額, 概算要求額, 予算案, 補正予算額: the vocabulary's markers).

The parser returns plain records; :mod:`healthkg.loaders.triples` turns them into RDF.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from rdflib import URIRef

from healthkg.loaders.errors import DocumentError
from healthkg.loaders.identity import default_slug
from healthkg.loaders.lexicon import Lexicon, Repair, default_lexicon
from healthkg.loaders.normalize import match_key
from healthkg.loaders.numerals import KANJI_NUMBER, kanji_number
from healthkg.loaders.outline import outline
from healthkg.loaders.policy import PolicyExtract, read_policy
from healthkg.loaders.projects import ProjectNotes, TopicNote, project_heading, read_projects
from healthkg.loaders.text import (
    BUDGET_WORD,
    HEADING,
    ITEM,
    SourceLine,
    Span,
    decode,
    repaired_lines,
    span_of,
    unwrap_figures,
)
from healthkg.ontology import HKG

RELISTED_DUPLICATE = "duplicate"
RELISTED_PORTION = "portion"
NOT_RELISTED = "no"

_HEADING = HEADING
_ITEM = ITEM
_DUPLICATE = re.compile(r"\(\s*再掲\s*\)")
_PARTLY = re.compile(r"\(\s*一部再掲\s*\)")
_PORTION = re.compile(r"(?:<<|≪|《)\s*再掲\s*:?\s*(?P<what>[^>≫》]*?)\s*(?:>>|≫|》)")
_TRAILING_PAREN = re.compile(r"\s*\([^()]*\)\s*$")
_BOLD_NAME = re.compile(r"^\*\*[^*]+\*\*")


@dataclass(frozen=True)
class Amount:
    yen: Decimal
    precision: Decimal
    stated: str


@dataclass
class BudgetLine:
    """A program (or group) listed in a project; ``amount`` is None when the document gives no readable figure."""

    label: str
    programs: list[str]
    fiscal_year: int | None
    route: URIRef
    relisting: str
    amount: Amount | None
    description: str
    span: Span
    status: URIRef | None = None  # the stage of the budget process, with the amount


@dataclass
class DeclaredTotal:
    fiscal_year: int
    route: URIRef
    amount: Amount
    partly_relisted: bool
    span: Span
    status: URIRef | None = None


@dataclass(frozen=True)
class _Figure:
    """A budget figure found on a line: its amount, the year it is dated with (if any) and its stage."""

    amount: Amount
    year: int | None
    status: URIRef
    match: re.Match[str]


@dataclass
class ProjectSection:
    name: str
    project: URIRef | None
    heading: Span
    description: str = ""
    totals: list[DeclaredTotal] = field(default_factory=list)
    lines: list[BudgetLine] = field(default_factory=list)


@dataclass(frozen=True)
class Warning_:
    line: int
    message: str


@dataclass
class DocumentExtract:
    path: Path
    sha256: str
    title: str
    issued: date | None
    publisher: str | None
    sections: list[ProjectSection]
    repairs: list[Repair]
    warnings: list[Warning_]
    lines: list[SourceLine] = field(default_factory=list)
    policy: PolicyExtract = field(default_factory=PolicyExtract)
    projects: list[ProjectNotes] = field(default_factory=list)
    topics: list[TopicNote] = field(default_factory=list)
    slug: str = ""  # its identifier in IRIs; the build makes it unique among the documents read together

    def __post_init__(self) -> None:
        self.slug = self.slug or default_slug(self.path, self.sha256)


def base_name(name: str) -> str:
    """A program's name without trailing qualifiers: the identity across years.

    >>> base_name("ゲノム研究バイオバンク事業(バイオバンク・ジャパン)(再掲)")
    'ゲノム研究バイオバンク事業'
    """
    previous = None
    while previous != name:
        previous, name = name, _TRAILING_PAREN.sub("", name)
    return name.strip()


def split_names(names: str) -> list[str]:
    """Split ``A / B(x/y) / C`` on slashes outside parentheses.

    >>> split_names("A事業 / B事業(甲/乙)/C計画")
    ['A事業', 'B事業(甲/乙)', 'C計画']
    """
    parts, depth, current = [], 0, []
    for char in names:
        depth += char == "("
        depth -= char == ")" and depth > 0
        if char == "/" and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [part.strip() for part in parts if part.strip()]


def _project_key(section: ProjectSection) -> str:
    """Sections are one project when they resolve to one individual or, unresolved, share a name (as minted)."""
    return str(section.project) if section.project is not None else match_key(section.name)


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(word) for word in sorted(set(words), key=len, reverse=True))


class _Grammar:
    """Regular expressions built from the lexicon's eras, units, route headings and budget-stage words.

    A figure is ``[year 年度 [qualifier]] keyword amount unit``: the year in an era
    (digits, kanji or 元) or Western; the keyword 予算額 or a stage marker of the
    vocabulary, optionally followed by 額 (概算要求額); a short qualifier such as 政府
    may stand between the year and the keyword (令和7年度政府予算案).
    """

    def __init__(self, lexicon: Lexicon) -> None:
        eras, units = _alternation(list(lexicon.eras)), _alternation(list(lexicon.units))
        markers = [marker for marker, _ in lexicon.stages]
        self.keywords = _alternation([BUDGET_WORD, *markers, *(f"{marker}額" for marker in markers)])
        number = rf"元|\d+|{KANJI_NUMBER}"
        year = rf"(?:(?P<era>{eras})\s*(?P<year>{number})|(?<![\d.,])(?P<western>\d{{4}}))\s*年度"
        qualifier = r"(?P<qualifier>[^\s\d:、。()の]{0,4}?)"
        self.phrase = re.compile(rf"(?:{year}\s*{qualifier})?(?P<keyword>{self.keywords})")
        self.amount = re.compile(
            rf"{self.phrase.pattern}\s*[:]?\s*"
            rf"(?P<num>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*(?P<unit>{units})(?![\d.,])"
        )
        self.loose_amount = re.compile(rf"(?:{self.keywords})\s*[:]?\s*(?:[\d.,]|\S{{0,12}}?(?:{units}))")
        # What stands right before a figure's keyword when its year was written in a form not read above.
        self.unread_year = re.compile(rf"年度\s*{qualifier}$")
        self.route = re.compile(_alternation(list(lexicon.routes))) if lexicon.routes else None
        self.date = re.compile(
            rf"^(?P<era>{eras})\s*(?P<year>{number})年\s*(?P<month>\d+|{KANJI_NUMBER})月\s*"
            rf"(?P<day>\d+|{KANJI_NUMBER})日$"
        )


class DeckParser:
    """Parse one document; collects repairs and warnings as it goes."""

    def __init__(self, path: Path, lexicon: Lexicon | None = None) -> None:
        self.path = path
        self.lexicon = lexicon or default_lexicon()
        self.grammar = _Grammar(self.lexicon)
        self.repairs: list[Repair] = []
        self.warnings: list[Warning_] = []

    # -- reading -----------------------------------------------------------------
    def _read(self) -> tuple[bytes, list[SourceLine]]:
        raw, text = decode(self.path)
        lines, repairs = repaired_lines(text, self.lexicon)
        self.repairs.extend(repairs)
        return raw, unwrap_figures(lines, self.grammar.keywords)

    # -- amounts -------------------------------------------------------------------
    def _year(self, match: re.Match[str]) -> int | None:
        if match["era"]:
            return self.lexicon.gregorian(match["era"], match["year"])
        return int(match["western"]) if match["western"] else None

    def _amount(self, line: SourceLine) -> _Figure | None:
        """The budget figure on a line, its fiscal year if dated and its stage; None when absent.

        A figure whose year is written in a form not read here (R3年度予算額) stops
        the build rather than silently taking its section's year.
        """
        match = self.grammar.amount.search(line.text)
        if match is None:
            if self.grammar.loose_amount.search(line.text):
                raise DocumentError(self.path, line.number, f"budget figure not understood: {line.text!r}")
            return None
        year = self._year(match)
        if year is None and self.grammar.unread_year.search(line.text[: match.start()]):
            raise DocumentError(
                self.path, line.number,
                f"cannot read the fiscal year of this budget figure (write e.g. 令和3年度 or 2021年度): {line.text!r}",
            )
        number = match["num"].replace(",", "")
        decimals = len(number.split(".")[1]) if "." in number else 0
        multiplier = self.lexicon.units[match["unit"]]
        yen = Decimal(number) * multiplier
        amount = Amount(
            yen=yen.normalize() if yen != yen.to_integral() else yen.to_integral(),
            precision=(multiplier / (Decimal(10) ** decimals)),
            stated=f"{match['num']}{match['unit']}",
        )
        status = self.lexicon.budget_status(f"{match['qualifier'] or ''}{match['keyword']}")
        return _Figure(amount, year, status, match)

    def _route(self, text: str) -> URIRef | None:
        if self.grammar.route is None:
            return None
        found = self.grammar.route.search(text)
        return self.lexicon.routes[found.group(0)] if found else None

    # -- structure -------------------------------------------------------------------
    def parse(self) -> DocumentExtract:
        raw, lines = self._read()
        title, issued, publisher = self._front_matter(lines)
        year = self.lexicon.fiscal_year(issued) if issued else None
        sections = self._sections(lines, year)
        if not any(section.lines or section.totals for section in sections):
            self.warnings.append(Warning_(1, "no budget figures found in any project section"))
        blocks = outline(lines)
        projects, topics = read_projects(blocks, self.lexicon, year)
        self._warn_unknown_projects(sections, projects)
        self._warn_unmatched_relistings(sections)
        self.warnings.sort(key=lambda warning: warning.line)
        return DocumentExtract(
            path=self.path,
            sha256=hashlib.sha256(raw).hexdigest(),
            title=title,
            issued=issued,
            publisher=publisher,
            sections=sections,
            repairs=self.repairs,
            warnings=self.warnings,
            lines=lines,
            policy=read_policy(lines, blocks, title, self.lexicon),
            projects=projects,
            topics=topics,
        )

    def _warn_unknown_projects(self, sections: list[ProjectSection], projects: list[ProjectNotes]) -> None:
        """Unknown project headings are minted (decks name older projects), so a typo in one must not pass unnoticed."""
        named = [(s.name, s.project, s.heading) for s in sections] + [(n.name, n.project, n.heading) for n in projects]
        warned: set[int] = set()
        for name, project, heading in named:
            if project is None and heading.first not in warned:
                warned.add(heading.first)
                self.warnings.append(Warning_(
                    heading.first, f"project heading not in the reference vocabulary: {name}"
                    " — minted as a new integrated project"))

    def _warn_unmatched_relistings(self, sections: list[ProjectSection]) -> None:
        """A (再掲) line repeats a program of the same project and year and is left out of the total.

        Without a first listing there in the same document, leaving it out is
        a guess (it may be a relisting from another project, or a mislabelled
        first listing), so the reader is told; so is a relisting whose figure
        differs from the first listing's (beyond half the coarser precision).
        """
        first: dict[tuple[str, int | None, str], list[BudgetLine]] = {}
        for section in sections:
            project = _project_key(section)
            for line in section.lines:
                if line.relisting != RELISTED_DUPLICATE:
                    for name in line.programs:
                        first.setdefault((project, line.fiscal_year, match_key(name)), []).append(line)
        for section in sections:
            project = _project_key(section)
            for line in section.lines:
                if line.relisting != RELISTED_DUPLICATE:
                    continue
                missing = [n for n in line.programs if (project, line.fiscal_year, match_key(n)) not in first]
                if missing:
                    left_out = ": its figure is left out of the total" if line.amount is not None else ""
                    self.warnings.append(
                        Warning_(
                            line.span.first,
                            f"(再掲) of {' / '.join(missing)} has no first listing"
                            f" in {section.name} for FY{line.fiscal_year}"
                            f" in this document{left_out}",
                        )
                    )
                    continue
                self._warn_differing_relisting(line, first[(project, line.fiscal_year, match_key(line.programs[0]))])

    def _warn_differing_relisting(self, line: BudgetLine, listings: list[BudgetLine]) -> None:
        """A (再掲) figure that is not the figure of its first listing (same programs, same stage) is reported."""
        if line.amount is None:
            return
        names = sorted(map(match_key, line.programs))
        for listing in listings:
            same = sorted(map(match_key, listing.programs)) == names and listing.status == line.status
            if not same or listing.amount is None:
                continue
            tolerance = max(listing.amount.precision, line.amount.precision) / 2
            if abs(listing.amount.yen - line.amount.yen) > tolerance:
                self.warnings.append(Warning_(
                    line.span.first,
                    f"(再掲) figure {line.amount.stated} of {line.label} differs from its first listing"
                    f" {listing.amount.stated} on line {listing.span.first}: the first listing's figure is counted",
                ))
            return

    def _front_matter(self, lines: list[SourceLine]) -> tuple[str, date | None, str | None]:
        title = next((m[2].replace("**", "").strip() for ln in lines if (m := _HEADING.match(ln.text))), "")
        issued, publisher = None, None
        for index, line in enumerate(lines[:40]):
            match = self.grammar.date.match(line.text)
            if match:
                year = self.lexicon.gregorian(match["era"], match["year"])
                issued = date(year, kanji_number(match["month"]), kanji_number(match["day"]))
                following = next((ln.text for ln in lines[index + 1 :] if ln.text), None)
                if following and not _HEADING.match(following) and len(following) <= 40:
                    publisher = following
                break
        return title, issued, publisher

    def _sections(self, lines: list[SourceLine], year: int | None) -> list[ProjectSection]:
        sections: list[ProjectSection] = []
        owned: set[int] = set()
        for index, line in enumerate(lines):
            heading = _HEADING.match(line.text)
            if not heading or index in owned:
                continue
            found = project_heading(heading[2], self.lexicon, year)
            if found is None:
                continue
            level = len(heading[1])
            end = index + 1
            while end < len(lines):
                other = _HEADING.match(lines[end].text)
                if other and len(other[1]) <= level:
                    break
                end += 1
            body = lines[index + 1 : end]
            section = ProjectSection(found[0], found[1], line.span)
            self._read_section(section, body)
            if section.project is None:
                section.project = self._project_of_period(section)
            sections.append(section)
            if section.lines or section.totals:
                owned.update(range(index + 1, end))
        self._orphan_figures(lines, owned, sections)
        return sections

    def _project_of_period(self, section: ProjectSection) -> URIRef | None:
        """A heading that several plans' projects share, told apart by the latest year its figures are for."""
        years = {total.fiscal_year for total in section.totals}
        years |= {line.fiscal_year for line in section.lines if line.fiscal_year is not None}
        return self.lexicon.lookup(section.name, HKG.IntegratedProject, max(years)) if years else None

    def _orphan_figures(self, lines: list[SourceLine], owned: set[int], sections: list[ProjectSection]) -> None:
        headings = {s.heading.first for s in sections}
        for index, line in enumerate(lines):
            if index not in owned and line.number not in headings and self._amount(line):
                self.warnings.append(Warning_(line.number, "budget figure outside any project section: ignored"))

    def _read_section(self, section: ProjectSection, body: list[SourceLine]) -> None:
        """Walk a project section: header (totals, summary) first, then items and blocks."""
        pending_route: tuple[URIRef, SourceLine] | None = None
        in_header = True
        pending: list[tuple[str, list[SourceLine]]] = []  # ("item"|"block", lines) in document order
        index = 0
        while index < len(body):
            line = body[index]
            heading = _HEADING.match(line.text)
            if heading:
                in_header = False
                title = heading[2].replace("**", "").strip()
                if title.startswith("●"):
                    block = [line]
                    index += 1
                    while index < len(body) and not _HEADING.match(body[index].text):
                        block.append(body[index])
                        index += 1
                    pending.append(("block", block))
                    continue
                index += 1
                continue
            item = _ITEM.match(line.text)
            if item:
                in_header = False
                group = [line]
                index += 1
                while (
                    index < len(body)
                    and body[index].text
                    and not _HEADING.match(body[index].text)
                    and not _ITEM.match(body[index].text)
                ):
                    group.append(body[index])
                    index += 1
                pending.append(("item", group))
                continue
            if in_header and line.text:
                route = self._route(line.text)
                figure = self._amount(line)
                if figure:
                    self._declared_total(
                        section,
                        line,
                        figure,
                        route or (pending_route[0] if pending_route else None),
                        pending_route[1] if pending_route else line,
                    )
                    pending_route = None
                elif route:
                    pending_route = (route, line)
                elif not section.description and section.totals and not line.text.startswith("■"):
                    section.description = line.text
            elif line.text and self._amount(line):
                self.warnings.append(Warning_(line.number, "budget figure not attached to any program: ignored"))
            index += 1
        for kind, group in pending:
            if kind == "item":
                self._item(section, group)
            else:
                self._block(section, group)

    def _declared_total(
        self,
        section: ProjectSection,
        line: SourceLine,
        figure: _Figure,
        route: URIRef | None,
        first: SourceLine,
    ) -> None:
        if figure.year is None:
            raise DocumentError(
                self.path, line.number, "a project total must be era-dated or name its year (e.g. 令和2年度予算額…)"
            )
        section.totals.append(
            DeclaredTotal(
                figure.year,
                route or self.lexicon.default_route,
                figure.amount,
                bool(_PARTLY.search(line.text)),
                span_of([first] if first is line else [first, line]),
                figure.status,
            )
        )

    def _section_year(self, section: ProjectSection, line: SourceLine) -> int:
        year = self._known_section_year(section)
        if year is not None:
            return year
        years = {total.fiscal_year for total in section.totals}
        reason = (
            "its section declares no era-dated total"
            if not years
            else f"its section declares several years {sorted(years)}"
        )
        raise DocumentError(self.path, line.number, f"cannot tell the fiscal year of this budget figure: {reason}")

    @staticmethod
    def _known_section_year(section: ProjectSection) -> int | None:
        years = {total.fiscal_year for total in section.totals}
        return years.pop() if len(years) == 1 else None

    def _item(self, section: ProjectSection, group: list[SourceLine]) -> None:
        text = " ".join(ln.text for ln in group)
        located = [(ln, self._amount(ln)) for ln in group]
        figures = [(ln, f) for ln, f in located if f]
        body = _ITEM.match(text)[1]  # type: ignore[index]
        if not figures:
            phrase = self.grammar.phrase.search(body)
            if phrase is not None or (_BOLD_NAME.match(body) and (section.totals or section.lines)):
                self._item_without_amount(section, group, body, phrase)
            return
        if len(figures) > 1:
            self.warnings.append(
                Warning_(figures[1][0].number, "several budget figures in one item: the first is used")
            )
        amount_line, figure = figures[0]
        names, rest = self._item_names(group, body)
        description = self._clean_description(rest)
        self._add_line(section, names, description, figure, text, group, amount_line)

    def _item_names(self, group: list[SourceLine], body: str) -> tuple[str, str]:
        """The program names of a list item (before ``:`` or the figure's words) and the text after them."""
        head, _, rest = body.partition(":")
        phrase = self.grammar.phrase.search(head)
        if phrase is not None:
            head, rest = body[: phrase.start()], ""
        names = head.replace("**", "").strip()
        if not names:
            raise DocumentError(self.path, group[0].number, "budget item without a program name")
        return names, rest

    def _item_without_amount(
        self, section: ProjectSection, group: list[SourceLine], body: str, phrase: re.Match[str] | None
    ) -> None:
        """A program listed with 予算額 未定, 予算額 ―, no figure, or a file cut after 予算額: kept, and said so."""
        names, rest = self._item_names(group, body)
        label = _DUPLICATE.sub("", names).strip()
        year = (self._year(phrase) if phrase is not None else None) or self._known_section_year(section)
        where = next((ln for ln in group if self.grammar.phrase.search(ln.text)), group[0])
        self.warnings.append(Warning_(
            where.number,
            f"budget item without a readable amount: {label} — kept as a program of {section.name} without a figure",
        ))
        section.lines.append(
            BudgetLine(
                label,
                [base_name(name) for name in split_names(label)],
                year,
                self._route(body) or self.lexicon.default_route,
                RELISTED_DUPLICATE if _DUPLICATE.search(names) else NOT_RELISTED,
                None,
                self._clean_description(rest),
                span_of(group),
            )
        )

    def _block(self, section: ProjectSection, block: list[SourceLine]) -> None:
        heading = block[0]
        names = _HEADING.match(heading.text)[2].replace("**", "").strip().lstrip("●").strip()  # type: ignore[index]
        figure_at = next((i for i, ln in enumerate(block) if self._amount(ln)), None)
        if figure_at is None:
            duplicate = bool(_DUPLICATE.search(names))
            if not duplicate:
                self.warnings.append(Warning_(heading.number, f"program block without a budget figure: {names}"))
            year = self._section_year(section, heading)
            route = self._route(" ".join(ln.text for ln in block[1:3])) or self.lexicon.default_route
            section.lines.append(
                BudgetLine(
                    _DUPLICATE.sub("", names).strip(),
                    [base_name(n) for n in split_names(_DUPLICATE.sub("", names))],
                    year,
                    route,
                    RELISTED_DUPLICATE if duplicate else NOT_RELISTED,
                    None,
                    self._paragraph(block[1:]),
                    heading.span,
                )
            )
            return
        amount_line = block[figure_at]
        figure = self._amount(amount_line)
        assert figure is not None
        scope = block[: figure_at + 1]
        self._add_line(
            section,
            names,
            self._paragraph(block[figure_at + 1 :]),
            figure,
            " ".join(ln.text for ln in scope),
            scope,
            amount_line,
        )

    def _add_line(
        self,
        section: ProjectSection,
        names: str,
        description: str,
        figure: _Figure,
        text: str,
        lines: list[SourceLine],
        amount_line: SourceLine,
    ) -> None:
        if _PORTION.search(text):
            relisting = RELISTED_PORTION
        elif _DUPLICATE.search(names):
            relisting = RELISTED_DUPLICATE
        else:
            relisting = NOT_RELISTED
        label = _DUPLICATE.sub("", names).strip()
        section.lines.append(
            BudgetLine(
                label=label,
                programs=[base_name(name) for name in split_names(label)],
                fiscal_year=figure.year if figure.year is not None else self._section_year(section, amount_line),
                route=self._route(text) or self.lexicon.default_route,
                relisting=relisting,
                amount=figure.amount,
                description=description,
                span=span_of(lines),
                status=figure.status,
            )
        )

    def _clean_description(self, text: str) -> str:
        text = self.grammar.amount.sub("", text)
        text = self.grammar.phrase.sub("", text)
        text = _PORTION.sub("", text)
        if self.grammar.route is not None:
            text = self.grammar.route.sub("", text)
        return text.strip(" :")

    def _paragraph(self, lines: list[SourceLine]) -> str:
        """The first paragraph of running text, skipping route headings and figures."""
        collected: list[str] = []
        for line in lines:
            if not line.text:
                if collected:
                    break
                continue
            if self._route(line.text) and len(line.text) < 20:
                continue
            collected.append(self._clean_description(line.text))
        return "".join(collected).strip()


def parse_document(path: Path, lexicon: Lexicon | None = None) -> DocumentExtract:
    """Parse one document of the family; raises :class:`DocumentError` with file and line."""
    return DeckParser(Path(path), lexicon).parse()
