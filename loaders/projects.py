"""What a deck says about integrated projects and disease areas besides budgets.

A project heading (a vocabulary name, or any title ending in プロジェクト) opens
a passage that may carry: its description, the plan's ministry marker
``(科技、総、文、◎厚、経)`` (◎ = lead), the slide's colour legend ``■ 文科省、■ 厚労省``
(which ministries take part, not who owns which program), ``他のプロジェクトの研究へ
展開・連携`` with a numbered list of projects, ``【2020年までの達成目標】`` bullets and the
plan's ``特に、以下のようなテーマの研究開発に重点的に取り組む`` themes. Headings that
name a disease area carry its description. All of it is found by that grammar
and by the vocabulary's labels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rdflib import URIRef

from healthkg.loaders.lexicon import Lexicon
from healthkg.loaders.outline import Block
from healthkg.loaders.text import BUDGET_WORD, HEADING, ITEM, NUMBERED, SourceLine, Span, span_of
from healthkg.ontology import HKG

_NUMBERING = re.compile(r"^(?:\d+\s*[.)]?\s*|[①-⑳]\s*)")
_MARKER = re.compile(r"^\((?P<items>[^()]+)\)$")
_LEGEND_ITEM = re.compile(r"■\s*(?P<name>[^、,■\s]+)")
_LINKS = re.compile(r"他のプロジェクト.*(?:展開|連携)")
_GOALS = re.compile(r"【(?P<year>\d{4})年度?までの達成目標】")
_THEMES = re.compile(r"重点的に取り組む[。.:]?")
_PROJECTS_HEADING = "統合プロジェクト"
_RUNNING_TEXT_LENGTH = 40


def project_heading(title: str, lexicon: Lexicon, fiscal_year: int | None = None) -> tuple[str, URIRef | None] | None:
    """The project a heading names: a vocabulary individual, or a new name ending in プロジェクト.

    ``fiscal_year`` (the document's) tells apart projects of different plans that share a name.
    """
    name = _NUMBERING.sub("", title.replace("**", "").strip()).strip()
    if not name or name.startswith(("●", "○", "■")):
        return None
    project = lexicon.lookup(name, HKG.IntegratedProject, fiscal_year)
    if project is not None or name.endswith("プロジェクト"):
        return name, project
    return None


@dataclass(frozen=True)
class Passage:
    """Text from one or more lines; ``parts`` keeps each line's own text and span for line-level links."""

    text: str
    span: Span
    parts: tuple[tuple[str, Span], ...] = ()

    @property
    def lines(self) -> tuple[tuple[str, Span], ...]:
        return self.parts or ((self.text, self.span),)


@dataclass(frozen=True)
class MinistryRole:
    ministry: URIRef
    lead: bool
    span: Span


@dataclass(frozen=True)
class Goal:
    text: str
    year: int
    span: Span


@dataclass
class ProjectNotes:
    name: str
    project: URIRef | None
    heading: Span
    listed_in_plan: bool  # under a heading that lists the plan's integrated projects
    descriptions: list[Passage] = field(default_factory=list)
    ministries: list[MinistryRole] = field(default_factory=list)
    links: list[tuple[URIRef, Span]] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)
    themes: list[Passage] = field(default_factory=list)


@dataclass(frozen=True)
class TopicNote:
    """A heading that names a disease area (with its description), or fails to although its siblings do."""

    concept: URIRef | None
    title: str
    heading: Span
    description: Passage | None


def _body(block: Block) -> list[SourceLine]:
    lines = list(block.lines)
    for child in block.children:
        assert child.heading is not None
        lines.extend([child.heading, *_body(child)])
    return lines


class ProjectReader:
    def __init__(self, lexicon: Lexicon, fiscal_year: int | None = None) -> None:
        self.lexicon = lexicon
        self.fiscal_year = fiscal_year

    def _is_running_text(self, line: SourceLine) -> bool:
        text = line.text
        if not text or HEADING.match(text) or BUDGET_WORD in text or text.startswith("■") or _MARKER.match(text):
            return False
        return text.endswith("。") or len(text) >= _RUNNING_TEXT_LENGTH

    def description(self, lines: list[SourceLine]) -> Passage | None:
        """Running text before any theme list: paragraphs or, on bullet-only slides, the bullets."""
        chosen = []
        for line in lines:
            if _THEMES.search(line.text):
                break
            if self._is_running_text(line):
                chosen.append(line)
        if not chosen:
            return None
        texts = [(ITEM.match(ln.text) or [None, ln.text])[1].replace("**", "") for ln in chosen]  # type: ignore[index]
        return Passage("\n".join(texts), span_of(chosen), tuple(zip(texts, (ln.span for ln in chosen))))

    def ministries(self, line: SourceLine) -> list[MinistryRole]:
        marker = _MARKER.match(line.text)
        if marker:
            items = [item.strip() for item in marker["items"].split("、")]
            found = [(self.lexicon.lookup(item.lstrip("◎"), HKG.Ministry), item.startswith("◎")) for item in items]
            if found and all(ministry is not None for ministry, _ in found):
                return [MinistryRole(m, lead, line.span) for m, lead in found if m is not None]
            return []
        if line.text.startswith("■"):
            names = _LEGEND_ITEM.findall(line.text)
            found_legend = [self.lexicon.lookup(name, HKG.Ministry) for name in names]
            if found_legend and all(found_legend):
                return [MinistryRole(m, False, line.span) for m in found_legend if m is not None]
        return []

    def _list_after(self, lines: list[SourceLine], index: int, pattern: re.Pattern[str]) -> list[SourceLine]:
        """The list items that follow line ``index`` (blank lines allowed before the first)."""
        items: list[SourceLine] = []
        for line in lines[index + 1 :]:
            if not line.text:
                if items:
                    break
                continue
            if not pattern.match(line.text):
                break
            items.append(line)
        return items

    def notes(self, block: Block, name: str, project: URIRef | None) -> ProjectNotes:
        assert block.heading is not None
        listed = any(_PROJECTS_HEADING in a.title for a in block.ancestors())
        notes = ProjectNotes(name, project, block.heading.span, listed)
        own = self.description(block.lines)
        if own is not None:
            notes.descriptions.append(own)
        body = _body(block)
        for index, line in enumerate(body):
            notes.ministries.extend(self.ministries(line))
            if _LINKS.search(line.text):
                for item in self._list_after(body, index, NUMBERED):
                    target = self.lexicon.lookup(NUMBERED.match(item.text)[1], HKG.IntegratedProject, self.fiscal_year)  # type: ignore[index]
                    if target is not None:
                        notes.links.append((target, span_of([line, item])))
            goals = _GOALS.search(line.text)
            if goals:
                for item in self._list_after(body, index, ITEM):
                    notes.goals.append(Goal(ITEM.match(item.text)[1], int(goals["year"]), item.span))  # type: ignore[index]
            themes = _THEMES.search(line.text)
            if themes:
                rest = line.text[themes.end() :].strip()
                if rest:
                    notes.themes.append(Passage(rest, line.span))
                for item in self._list_after(body, index, ITEM):
                    notes.themes.append(Passage(ITEM.match(item.text)[1], item.span))  # type: ignore[index]
        return notes

    def topics(self, blocks: list[Block]) -> list[TopicNote]:
        """Disease-area headings with their descriptions; unresolved siblings are kept as unlinked."""
        found = []
        for parent in blocks:
            children = [c for c in parent.children if not c.children]
            resolved = {id(c): self.lexicon.lookup(c.title, HKG.DiseaseArea) for c in children}
            if not any(resolved.values()):
                continue
            for child in children:
                assert child.heading is not None
                if resolved[id(child)] is None and project_heading(child.title, self.lexicon, self.fiscal_year):
                    continue
                note = TopicNote(resolved[id(child)], child.title, child.heading.span, self.description(child.lines))
                found.append(note)
        return found


def read_projects(
    blocks: list[Block], lexicon: Lexicon, fiscal_year: int | None = None
) -> tuple[list[ProjectNotes], list[TopicNote]]:
    reader = ProjectReader(lexicon, fiscal_year)
    notes = []
    for block in blocks:
        if block.heading is None:
            continue
        found = project_heading(block.title, lexicon, fiscal_year)
        if found is not None:
            notes.append(reader.notes(block, *found))
    return notes, reader.topics(blocks)
