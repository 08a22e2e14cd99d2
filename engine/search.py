"""Search text turned into a SPARQL regular expression that sees through width, kana and separators.

Labels in the graph are NFKC-normalised by the loaders, but people type ひらがな for
カタカナ names, full-width letters, or leave out the ・ between words. SPARQL has no
function for kana folding, and a custom function would not run on a remote endpoint,
so the *input* is normalised instead and each kana becomes a class matching both
scripts. The result is a plain XPath regular expression, bound as a typed literal
like any other parameter, so it runs on the local store and any SPARQL 1.1 endpoint.

>>> search_pattern("ばいおばんく")
'[ばバ][\\\\s・･·]?[いイ][\\\\s・･·]?[おオ][\\\\s・･·]?[ばバ][\\\\s・･·]?[んン][\\\\s・･·]?[くク]'
>>> import re
>>> bool(re.search(search_pattern("ＢＢＪ"), "BBJ", re.IGNORECASE))
True
>>> bool(re.search(search_pattern("バイオバンクジャパン"), "バイオバンク・ジャパン"))
True
>>> bool(re.search(search_pattern("バイオ・バンク"), "バイオ·バンク"))
True
>>> search_pattern("a.b")
'a[\\\\s・･·]?\\\\.[\\\\s・･·]?b'
"""

from __future__ import annotations

import re
import unicodedata

from healthkg.ontology.labels import SEPARATOR_CLASS

_HIRAGANA = range(0x3041, 0x3097)
_KATAKANA = range(0x30A1, 0x30F7)
_KANA_OFFSET = 0x60
# Metacharacters of XPath regular expressions (SPARQL REGEX), escaped with a backslash.
_META = set("\\|.-^?*+{}()[]$")
# Between two characters of the input the label may have a separator the user left out.
_GAP = f"{SEPARATOR_CLASS}?"
_SEPARATOR = re.compile(SEPARATOR_CLASS)


def _char_class(char: str) -> str:
    code = ord(char)
    if code in _HIRAGANA:
        return f"[{char}{chr(code + _KANA_OFFSET)}]"
    if code in _KATAKANA:
        return f"[{chr(code - _KANA_OFFSET)}{char}]"
    return f"\\{char}" if char in _META else char


def fold(text: str) -> str:
    """The key under which two names are the same name: width, case, kana script and separators ignored.

    >>> fold("ばいおばんく・じゃぱん") == fold("ﾊﾞｲｵﾊﾞﾝｸｼﾞｬﾊﾟﾝ")
    True
    """
    chars = [c for c in unicodedata.normalize("NFKC", text).casefold() if not _SEPARATOR.fullmatch(c)]
    return "".join(chr(ord(c) + _KANA_OFFSET) if ord(c) in _HIRAGANA else c for c in chars)


def search_pattern(text: str) -> str:
    """A case-insensitive-ready regular expression for ``text`` (use REGEX(..., ..., "i"))."""
    chars = [c for c in unicodedata.normalize("NFKC", text).strip() if not _SEPARATOR.fullmatch(c)]
    if not chars:
        raise ValueError("empty search text")
    return _GAP.join(_char_class(c) for c in chars)
