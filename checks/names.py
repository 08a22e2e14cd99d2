"""Programs whose names look like variants of one another, for a reader to settle.

Sources write one program several ways (移植医療技術開発研究事業 / 移植医療技術研究開発事業,
再生医療実用化研究事業 / 再生医療等実用化研究事業); the graph makes them one entity only where
a source links them (a succession or rename), so the others stay two entities and are
listed here. Three signs, on the names' match keys (width, case, ・ and spaces ignored):
the same name before a trailing parenthesis (a part, such as …研究事業(国際課分), or the whole),
the same characters in another order, or names that differ by a few inserted words
(a similarity ratio of at least :data:`SIMILAR`), unless the one name only adds words in
front of the other (ゲノム創薬基盤推進研究事業 is a narrower program than 創薬基盤推進研究事業).

>>> [c.reason for c in possibly_same({"a": "再生医療実用化研究事業", "b": "再生医療等実用化研究事業"})]
['the names differ by a few characters (similarity 0.96)']
>>> [c.reason for c in possibly_same({"a": "移植医療技術開発研究事業", "b": "移植医療技術研究開発事業"})]
['the same characters in another order']
>>> possibly_same({"a": "再生医療実用化研究事業", "b": "再生医療等実用化研究事業"}, linked={frozenset("ab")})
[]
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import combinations

from healthkg.loaders.normalize import match_key

SIMILAR = 0.85
_TRAILING = re.compile(r"\([^()]*\)$")


@dataclass(frozen=True)
class Candidate:
    first: str
    second: str
    reason: str


def _base(key: str) -> str:
    return _TRAILING.sub("", key)


def _reason(a: str, b: str) -> str | None:
    key_a, key_b = match_key(a), match_key(b)
    if key_a == key_b:
        return "the same name written differently"
    if _base(key_a) == _base(key_b):
        return "the same name before a parenthesis (a part of one program, or the whole)"
    if sorted(key_a) == sorted(key_b):
        return "the same characters in another order"
    shorter, longer = sorted((_base(key_a), _base(key_b)), key=len)
    if longer.endswith(shorter):  # ゲノム創薬基盤推進研究事業 is a narrower program than 創薬基盤推進研究事業
        return None
    ratio = SequenceMatcher(None, shorter, longer, autojunk=False).ratio()
    if ratio >= SIMILAR:
        return f"the names differ by a few characters (similarity {ratio:.2f})"
    return None


def possibly_same(labels: dict[str, str], linked: Iterable[frozenset[str]] = ()) -> list[Candidate]:
    """Pairs of entities (IRI → Japanese label) whose names look alike and that no source links."""
    known = set(linked)
    found = []
    for first, second in combinations(sorted(labels, key=lambda iri: (labels[iri], iri)), 2):
        if frozenset((first, second)) in known:
            continue
        reason = _reason(labels[first], labels[second])
        if reason is not None:
            found.append(Candidate(first, second, reason))
    return found
