"""Text normalisation shared by matching and search.

Documents of the family mix full- and half-width forms (１８．９億円, ＰＪ, ｶﾅ) and
spacing (医薬品 PJ). Matching must see through that; labels keep the NFKC form.

>>> normalize("令和２年度予算額　１８．９億円")
'令和2年度予算額 18.9億円'
>>> match_key("バイオバンク・ジャパン") == match_key("バイオバンクジャパン")
True
>>> match_key("医薬品 ＰＪ")
'医薬品pj'
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from healthkg.ontology.labels import SEPARATOR_CLASS

_SPACES = re.compile(r"\s+")
_KEY_DROP = re.compile(SEPARATOR_CLASS)


def normalize(text: str) -> str:
    """NFKC with runs of white space folded to one space and the ends trimmed."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def match_key(text: str) -> str:
    """A key under which spellings that differ only in width, case, spacing or ・ meet."""
    return _KEY_DROP.sub("", unicodedata.normalize("NFKC", text)).casefold()


def digest(text: str) -> str:
    """A short stable key of a name under :func:`match_key`: spellings that meet get one identifier."""
    return hashlib.sha256(match_key(text).encode("utf-8")).hexdigest()[:12]
