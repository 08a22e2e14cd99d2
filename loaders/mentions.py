"""Find the names and aliases of reference individuals in running text.

The dictionary is the vocabulary's own labels and aliases (ja and en); text
and labels are compared in NFKC form with ``・`` and spaces optional, so
``バイオバンクジャパン`` finds ``バイオバンク・ジャパン``.

Decisions on false positives, each tested:

* leftmost-longest: ``神経・筋難病`` is one mention (of the concept whose alias it
  is), not also a mention of ``難病`` inside it;
* Latin-letter labels only match as whole words: ``AMR`` is not found in ``HAMR``
  and ``NC`` not in ``NCBN``;
* one-character labels (abbreviations such as ``文`` or ``厚`` used only inside the
  plan's ministry markers) are never looked for in running text;
* a kana label inside a longer word still counts when the word is about the same
  thing: ``がん化`` (carcinogenesis) is a mention of cancer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rdflib import URIRef

from healthkg.loaders.normalize import normalize
from healthkg.ontology.labels import SEPARATOR_CLASS

_OPTIONAL = re.compile(SEPARATOR_CLASS)
_LATIN_START = re.compile(r"^[A-Za-z0-9]")
_LATIN_END = re.compile(r"[A-Za-z0-9]$")


@dataclass(frozen=True)
class Found:
    iri: URIRef
    text: str
    start: int


def _pattern(label: str) -> str:
    pieces = [re.escape(char) if not _OPTIONAL.match(char) else f"{SEPARATOR_CLASS}?" for char in label]
    body = "".join(pieces)
    if _LATIN_START.search(label):
        body = r"(?<![A-Za-z0-9])" + body
    if _LATIN_END.search(label):
        body = body + r"(?![A-Za-z0-9])"
    return body


class Matcher:
    """A compiled dictionary: label or alias (NFKC form) → the individual it names."""

    def __init__(self, surfaces: dict[str, URIRef]) -> None:
        usable = {normalize(label): iri for label, iri in surfaces.items() if len(normalize(label)) > 1}
        self.by_key = {self._key(label): iri for label, iri in usable.items()}
        ordered = sorted(usable, key=len, reverse=True)
        self.pattern = re.compile("|".join(_pattern(label) for label in ordered), re.IGNORECASE) if ordered else None

    @staticmethod
    def _key(text: str) -> str:
        return _OPTIONAL.sub("", text).casefold()

    def find(self, text: str) -> list[Found]:
        """Every leftmost-longest occurrence, in text order."""
        if self.pattern is None:
            return []
        found = []
        for match in self.pattern.finditer(normalize(text)):
            iri = self.by_key.get(self._key(match.group(0)))
            if iri is not None:
                found.append(Found(iri, match.group(0), match.start()))
        return found
