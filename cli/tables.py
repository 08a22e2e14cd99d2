"""Plain-text tables that line up in a terminal, whatever the script.

A Japanese (East Asian wide) character takes two terminal columns, so padding
by ``len`` pushes every later column of a row holding one out of line. Widths
here are rich's cell lengths, what a terminal draws; newlines and tabs inside a
cell are written as ``\\n`` and ``\\t`` so that a row stays one line; columns
holding only numbers are right-aligned, so that amounts line up by their digits.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rich.cells import cell_len

_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
_ESCAPES = str.maketrans({"\n": "\\n", "\t": "\\t", "\r": "\\r"})


def one_line(text: str) -> str:
    return text.translate(_ESCAPES)


def pad(text: str, width: int, *, right: bool = False) -> str:
    """``text`` padded with spaces to ``width`` terminal columns."""
    fill = " " * max(0, width - cell_len(text))
    return fill + text if right else text + fill


def render_table(columns: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "") -> list[str]:
    """Header, rule and one line per row, columns separated by `` | `` and aligned by display width."""
    head = [one_line(c) for c in columns]
    cells = [[one_line(v) for v in row] for row in rows]
    widths = [max([cell_len(h)] + [cell_len(r[i]) for r in cells]) for i, h in enumerate(head)]
    numeric = [bool(cells) and all(_NUMBER.match(r[i]) for r in cells if r[i]) for i in range(len(head))]

    def line(values: Sequence[str], align: Sequence[bool]) -> str:
        return (indent + " | ".join(pad(v, w, right=r) for v, w, r in zip(values, widths, align))).rstrip()

    return [line(head, [False] * len(head)), indent + "-+-".join("-" * w for w in widths),
            *(line(row, numeric) for row in cells)]
