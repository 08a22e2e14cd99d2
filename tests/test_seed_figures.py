"""The seed's 25 budget lines and 4 declared totals, read from the document: amounts, lines and sums.

The table below was read off the seed by hand (line numbers as ``grep -n`` gives
them). PDF-to-text output puts form feeds and other separators inside lines;
they must not move any figure off its line, so the same table is expected from
copies of the seed with such characters inserted.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from healthkg.loaders.deck import DocumentExtract, parse_document

SEED = Path(__file__).parents[1] / "data" / "documents" / "2020-08-04_cas_genome-data-platform-project.md"

# (fiscal year, route, relisting, yen, stated, first line, last line)
LINES = [
    (2020, "amed", "no", 1900000000, "19億円", 216, 216),
    (2020, "amed", "no", 3200000000, "32億円", 217, 217),
    (2020, "amed", "no", 2900000000, "29億円", 218, 218),
    (2020, "amed", "no", 800000000, "8億円", 219, 219),
    (2020, "amed", "no", 600000000, "6億円", 220, 220),
    (2020, "amed", "no", 2000000000, "20億円", 224, 224),  # a group of ten programs
    (2020, "amed", "duplicate", 1900000000, "19億円", 234, 234),
    (2020, "amed", "no", 3600000000, "36億円", 240, 240),
    (2020, "amed", "no", 400000000, "4億円", 241, 241),
    (2020, "inhouse", "no", 1100000000, "11億円", 242, 243),  # wrapped after the route words
    (2020, "amed", "no", 1300000000, "13億円", 244, 244),
    (2020, "amed", "no", 300000000, "3億円", 254, 254),
    (2020, "inhouse", "no", 700000000, "7億円", 255, 256),
    (2020, "amed", "no", 500000000, "5億円", 257, 257),
    (2019, "amed", "no", 1890000000, "18.9億円", 337, 339),
    (2019, "amed", "no", 600000000, "6.0億円", 346, 348),
    (2019, "inhouse", "no", 380000000, "3.8億円", 352, 355),
    (2019, "inhouse", "no", 350000000, "3.5億円", 359, 362),
    (2019, "amed", "no", 300000000, "3.0億円", 371, 373),
    (2019, "amed", "portion", 2390000000, "23.9億円", 381, 383),
    (2019, "amed", "portion", 80000000, "0.8億円", 387, 389),
    (2019, "amed", "portion", 1190000000, "11.9億円", 393, 395),
    (2019, "amed", "no", 340000000, "3.4億円", 413, 415),
    (2019, "inhouse", "no", 1070000000, "10.7億円", 419, 422),
    (2019, "amed", "no", 3050000000, "30.5億円", 426, 428),
]
TOTALS = [
    (2020, "amed", 17500000000, "175億円", 202, 203),
    (2020, "inhouse", 1800000000, "18億円", 205, 206),
    (2019, "amed", 9800000000, "98億円", 315, 316),
    (2019, "inhouse", 1800000000, "18億円", 318, 319),
]


def figures(extract: DocumentExtract) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    lines, totals = [], []
    for section in extract.sections:
        for total in section.totals:
            route = str(total.route).rsplit("-", 1)[1]
            totals.append((total.fiscal_year, route, int(total.amount.yen), total.amount.stated,
                           total.span.first, total.span.last))
        for line in section.lines:
            if line.amount is not None:
                route = str(line.route).rsplit("-", 1)[1]
                lines.append((line.fiscal_year, route, line.relisting, int(line.amount.yen), line.amount.stated,
                              line.span.first, line.span.last))
    return lines, totals


def test_seed_lines_and_totals() -> None:
    lines, totals = figures(parse_document(SEED))
    assert lines == LINES
    assert totals == TOTALS


def test_seed_sums_reconcile_as_the_document_says() -> None:
    """175億円 = the 13 lines of FY2020 AMED without the duplicate; 98.4億円 against a declared 98億円."""
    def total(year: int, route: str) -> Decimal:
        return sum((Decimal(y) for fy, r, status, y, *_ in LINES if fy == year and r == route and status != "duplicate"),
                   Decimal(0))

    assert total(2020, "amed") == Decimal(17500000000)
    assert total(2020, "inhouse") == Decimal(1800000000)
    assert total(2019, "amed") == Decimal(9840000000)
    assert total(2019, "inhouse") == Decimal(1800000000)


# Where the copies get their extra characters: a page break before a heading, separators inside figure lines.
_INSERTIONS = {
    "\f": ("\n## バイオバンクの整備", "\n\f## バイオバンクの整備"),
    "\v": ("予算額36億円", "予算額\v36億円"),
    "\x1c": ("インハウス研究機関経費  \n予算額11億円", "インハウス研究機関経費\x1c  \n予算額11億円"),
    "\x1d": ("\n## ●ゲノム創薬基盤推進研究事業", "\n\x1d## ●ゲノム創薬基盤推進研究事業"),
    "\x1e": ("平成31年度予算額 3.4億円", "平成31年度予算額\x1e3.4億円"),
    "\x85": ("# 5. 疾病克服", "\x85# 5. 疾病克服"),
    "\u2028": ("令和2年度予算額175億円", "令和2年度予算額\u2028175億円"),
}


@pytest.mark.parametrize("character", list(_INSERTIONS), ids=lambda c: f"U+{ord(c):04X}")
def test_separators_inside_lines_keep_every_figure_on_its_line(tmp_path: Path, character: str) -> None:
    text = SEED.read_text(encoding="utf-8")
    before, after = _INSERTIONS[character]
    assert text.count(before) == 1
    copy = tmp_path / SEED.name
    copy.write_text(text.replace(before, after), encoding="utf-8")
    lines, totals = figures(parse_document(copy))
    assert lines == LINES
    assert totals == TOTALS


def test_all_separators_at_once_and_crlf(tmp_path: Path) -> None:
    text = SEED.read_text(encoding="utf-8")
    for before, after in _INSERTIONS.values():
        text = text.replace(before, after)
    copy = tmp_path / SEED.name
    copy.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    lines, totals = figures(parse_document(copy))
    assert lines == LINES
    assert totals == TOTALS
