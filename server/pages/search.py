"""The front door's search: programs, projects, organisations, disease areas and purposes by any name.

Names are compared as ``label-search`` compares them (width, case, hiragana and
katakana, separators ignored: :func:`healthkg.engine.search.fold`) and also by
their reading, so that kana finds a name written in kanji (にんちしょう finds
認知症研究開発事業). SPARQL cannot read kanji, so the names come from one page
query through the engine (:mod:`.queries`) and are matched here; their readings
(pykakasi's dictionary) are worked out once per served graph, when the first
search of that graph comes in.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from flask import Response, jsonify, render_template, request

from healthkg.engine.search import fold
from healthkg.server.pages.language import name, t
from healthkg.server.pages.queries import select, snapshot
from healthkg.server.pages.terms import href, ordinal, words

MAX_RESULTS = 50
MAX_QUERY = 200


@cache
def _kakasi() -> Any:
    import pykakasi  # loads its dictionary: done once, at the first search

    return pykakasi.kakasi()


def reading(text: str) -> str:
    """``text`` with kanji replaced by their hiragana reading (kana and latin letters unchanged)."""
    return "".join(part["hira"] for part in _kakasi().convert(text))


@dataclass
class Hit:
    """One thing a search can find, with every key it is found under."""

    iri: str
    rank: int
    kind_ja: str
    kind_en: str
    label_ja: str
    label_en: str
    period: str
    names: list[str] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)

    def as_json(self) -> dict[str, str]:
        return {"iri": self.iri, "href": href(self.iri), "label": name(self.label_ja, self.label_en),
                "label_ja": self.label_ja, "label_en": self.label_en, "kind": name(self.kind_ja, words(self.kind_en)),
                "period": t(f"第{self.period}期", f"{ordinal(self.period)} period") if self.period else ""}


class _Index:
    """The names of one served graph, folded, with their folded readings."""

    def __init__(self) -> None:
        self.version: str | None = None
        self.hits: list[Hit] = []
        self.lock = threading.Lock()

    def current(self) -> list[Hit]:
        version = f"{snapshot().version}:{snapshot().generation}"
        with self.lock:
            if self.version != version:
                self.hits = _build()
                self.version = version
            return self.hits


def _build() -> list[Hit]:
    hits: dict[str, Hit] = {}
    for row in select("search-names"):
        iri = str(row["entity"])
        hit = hits.get(iri)
        if hit is None or int(str(row["rank"])) < hit.rank:
            previous = hit
            kind_ja, kind_en, label_ja, label_en, period = (
                str(row.get(key, "")) for key in ("kind_ja", "kind_en", "label_ja", "label_en", "period"))
            hit = hits[iri] = Hit(iri, int(str(row["rank"])), kind_ja, kind_en, label_ja, label_en, period)
            if previous is not None:
                hit.names, hit.keys = previous.names, previous.keys
        text = str(row["name"])
        if text not in hit.names:
            hit.names.append(text)
            hit.keys.update({fold(text), fold(reading(text))})
    return sorted(hits.values(), key=lambda h: (h.rank, h.label_ja or h.label_en))


_INDEX = _Index()


def find(text: str) -> list[Hit]:
    """What ``text`` names: exact names first, then names starting with it, then names containing it."""
    text = text.strip()[:MAX_QUERY]
    if not text:
        return []
    wanted = {key for key in (fold(text), fold(reading(text))) if key}
    scored = []
    for hit in _INDEX.current():
        best = min((0 if key == w else 1 if key.startswith(w) else 2
                    for key in hit.keys for w in wanted if w in key), default=None)
        if best is not None:
            scored.append((best, hit.rank, len(hit.label_ja or hit.label_en), hit))
    scored.sort(key=lambda s: s[:3])
    return [s[3] for s in scored[:MAX_RESULTS]]


def search_page() -> str:
    text = request.args.get("q", "")
    return render_template("search.html", q=text, hits=find(text))


def search_json() -> Response:
    text = request.args.get("q", "")
    return jsonify({"q": text, "results": [hit.as_json() for hit in find(text)]})
