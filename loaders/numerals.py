"""Kanji numerals as laws are cited in their own text (平成二十六年法律第四十八号, 第二条).

A law quoted from the statute book writes its numbers in kanji while slides use
digits; both must name the same law and article.

>>> kanji_number("四十八")
48
>>> kanji_number("二十六")
26
>>> kanji_number("百二")
102
>>> kanji_number("17")
17
>>> digits_for_kanji("平成二十六年法律第四十八号")
'平成26年法律第48号'
"""

from __future__ import annotations

import re

_DIGITS = {"〇": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_SCALES = {"十": 10, "百": 100, "千": 1000}
KANJI_NUMBER = "[〇一二三四五六七八九十百千]+"
_RUN = re.compile(KANJI_NUMBER)


def kanji_number(text: str) -> int:
    """Value of a number written in digits or in kanji up to 9999."""
    if text.isdigit():
        return int(text)
    total, current = 0, 0
    for char in text:
        if char in _DIGITS:
            current = current * 10 + _DIGITS[char] if current else _DIGITS[char]
        elif char in _SCALES:
            total += (current or 1) * _SCALES[char]
            current = 0
        else:
            raise ValueError(f"not a number: {text!r}")
    return total + current


def digits_for_kanji(text: str) -> str:
    """Every run of kanji numerals in ``text`` rewritten in Arabic digits."""
    return _RUN.sub(lambda match: str(kanji_number(match.group(0))), text)
