"""The lines of a document as the parsers see them: repaired, normalised, unwrapped.

PDF-to-text conversion leaves typos and breaks budget figures across lines
(``予算額`` / ``11億円``). Both are undone here, once, so that every parser works
on clean lines while provenance keeps the document's own text and line numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from healthkg.loaders.errors import DocumentError
from healthkg.loaders.lexicon import Lexicon, Repair
from healthkg.loaders.normalize import normalize

HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
ITEM = re.compile(r"^\s*[-*+]\s+(.*)$")
NUMBERED = re.compile(r"^\s*\d+\s*[.)]\s+(.*)$")
BUDGET_WORD = "予算額"

_STARTS_WITH_NUMBER = re.compile(r"^[\d.,]")


@dataclass(frozen=True)
class Span:
    """Lines ``first``..``last`` (1-based) and their text as the document has it."""

    first: int
    last: int
    text: str


@dataclass(frozen=True)
class SourceLine:
    """One logical line: usually one physical line, two when a figure was wrapped."""

    number: int
    end: int
    original: str
    text: str  # repaired and NFKC-normalised

    @property
    def span(self) -> Span:
        return Span(self.number, self.end, self.original)


def heading_title(line: SourceLine) -> tuple[int, str] | None:
    """Level and plain title of a Markdown heading line (emphasis markers dropped)."""
    match = HEADING.match(line.text)
    return (len(match[1]), match[2].replace("**", "").strip()) if match else None


def span_of(lines: list[SourceLine]) -> Span:
    return Span(lines[0].number, lines[-1].end, "\n".join(line.original for line in lines))


def decode(path: Path) -> tuple[bytes, str]:
    """The document's bytes and text; unreadable or empty input names the file and line."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise DocumentError(path, None, f"cannot read: {error.strerror}") from error
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise DocumentError(path, line, f"not UTF-8 text (byte {error.start})") from error
    if not text.strip():
        raise DocumentError(path, None, "the document is empty")
    return raw, text


def physical_lines(text: str) -> list[str]:
    r"""The document's lines as editors and ``grep -n`` count them: split at ``\n`` only.

    ``str.splitlines`` also breaks at form feeds, vertical tabs, ``\x1c``–``\x1e``,
    ``\x85`` and ``\u2028``, which PDF-to-text output leaves inside lines (a page
    break is a ``\f``); counting those would shift every later line number. A
    ``\r`` before the ``\n`` belongs to the line ending.

    >>> physical_lines("a\fb\r\nc\u2028d\n")
    ['a\x0cb', 'c\u2028d']
    """
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def repaired_lines(text: str, lexicon: Lexicon) -> tuple[list[SourceLine], list[Repair]]:
    """Apply the alias table and balance ``**``; every change is returned as a Repair."""
    lines, repairs = [], []
    for number, original in enumerate(physical_lines(text), start=1):
        repaired, done = lexicon.repair(number, original)
        repairs.extend(done)
        if repaired.count("**") % 2:
            unbalanced = repaired.replace("**", "")
            repairs.append(Repair(number, repaired, unbalanced, "unbalanced ** emphasis markers removed"))
            repaired = unbalanced
        lines.append(SourceLine(number, number, original, normalize(repaired)))
    return lines, repairs


def unwrap_figures(lines: list[SourceLine], keywords: str = BUDGET_WORD) -> list[SourceLine]:
    """Join a budget figure that the conversion broke across two lines into one logical line.

    A figure is cut after its keyword (``keywords``, a regular expression such as
    ``予算額|概算要求額``) or inside the number; the next non-blank line carries the
    rest. Blank lines between the two halves are dropped with the join; the joined
    line keeps both physical line numbers so provenance still names them.
    """
    dangling_keyword = re.compile(rf"(?:{keywords})\s*:?\s*$")
    dangling_number = re.compile(rf"(?:{keywords})\s*:?\s*[\d.,]+$")
    result: list[SourceLine] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        follower = index + 1
        while follower < len(lines) and not lines[follower].text:
            follower += 1
        rest = lines[follower] if follower < len(lines) else None
        joined = None
        if rest is not None and dangling_keyword.search(line.text) and _STARTS_WITH_NUMBER.match(rest.text):
            joined = f"{line.text} {rest.text}"
        elif rest is not None and dangling_number.search(line.text):
            joined = line.text + rest.text
        if joined is None or rest is None:
            result.append(line)
            index += 1
            continue
        original = "\n".join(ln.original for ln in lines[index : follower + 1])
        result.append(SourceLine(line.number, rest.end, original, joined))
        index = follower + 1
    return result
