"""The deck parser reads budget figures the way documents of the family write them.

Each test writes a few lines in the family's style and checks the parsed
records: units and their precision, full-width digits and commas, eras (元年
too), relisting markers, program groups and figures wrapped over lines.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import RDF, RDFS, Literal

from healthkg.loaders.deck import DocumentExtract, parse_document
from healthkg.loaders.errors import DocumentError
from healthkg.loaders.lexicon import build_lexicon
from healthkg.loaders.triples import document_triples
from healthkg.ontology import HKG, ID, ontology_graph, reference_graph

HEADER = "# テスト資料\n\n令和3年6月1日\n\n内閣官房健康・医療戦略室\n\n"


def parse(tmp_path: Path, body: str, name: str = "deck.md") -> DocumentExtract:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return parse_document(path)


def only_section(extract: DocumentExtract):  # type: ignore[no-untyped-def]
    sections = [s for s in extract.sections if s.lines or s.totals]
    assert len(sections) == 1
    return sections[0]


@pytest.mark.parametrize(
    ("stated", "yen", "precision"),
    [
        ("175億円", "17500000000", "100000000"),
        ("18.9億円", "1890000000", "10000000"),
        ("0.8億円", "80000000", "10000000"),
        ("19,876百万円", "19876000000", "1000000"),
        ("1,234.5百万円", "1234500000", "100000"),
        ("12,345,678千円", "12345678000", "1000"),
        ("１９，８７６百万円", "19876000000", "1000000"),  # full-width digits and comma
        ("１８．９億円", "1890000000", "10000000"),  # full-width decimal point
        ("3万円", "30000", "10000"),
    ],
)
def test_amount_units_and_precision(tmp_path: Path, stated: str, yen: str, precision: str) -> None:
    extract = parse(tmp_path, f"# 医薬品プロジェクト\n\n日本医療研究開発機構対象経費\n令和3年度予算額 {stated}\n")
    total = only_section(extract).totals[0]
    assert total.amount.yen == Decimal(yen)
    assert total.amount.precision == Decimal(precision)
    assert total.fiscal_year == 2021


@pytest.mark.parametrize(
    ("era", "year"),
    [("令和2年度", 2020), ("令和元年度", 2019), ("平成31年度", 2019), ("平成30年度", 2018), ("令和３年度", 2021)],
)
def test_eras_give_gregorian_fiscal_years(tmp_path: Path, era: str, year: int) -> None:
    extract = parse(tmp_path, f"# 医薬品プロジェクト\n\n日本医療研究開発機構対象経費\n{era}予算額 10億円\n")
    assert only_section(extract).totals[0].fiscal_year == year


def test_issued_date_in_first_year_of_an_era(tmp_path: Path) -> None:
    path = tmp_path / "gannen.md"
    path.write_text("# 資料\n\n令和元年5月20日\n\n内閣官房健康・医療戦略室\n", encoding="utf-8")
    extract = parse_document(path)
    assert extract.issued is not None and extract.issued.isoformat() == "2019-05-20"
    assert extract.publisher == "内閣官房健康・医療戦略室"


def test_relisting_markers_and_routes(tmp_path: Path) -> None:
    body = (
        "# 医薬品プロジェクト\n\n日本医療研究開発機構対象経費\n令和3年度予算額 60億円(一部再掲)\n\n"
        "インハウス研究機関経費\n令和3年度予算額 5億円\n\n"
        "- **甲事業**: 説明 予算額20億円\n"
        "- **甲事業(再掲)**: 別の説明 予算額20億円\n"
        "- **乙事業**: 説明 予算額40億円 <<再掲:医薬品関連部分>>\n"
        "- **丙事業**: 説明 インハウス研究機関経費 予算額5億円\n"
    )
    section = only_section(parse(tmp_path, body))
    assert section.totals[0].partly_relisted and not section.totals[1].partly_relisted
    found = [(ln.label, ln.relisting, ln.route) for ln in section.lines]
    assert found == [
        ("甲事業", "no", ID["route-amed"]),
        ("甲事業", "duplicate", ID["route-amed"]),
        ("乙事業", "portion", ID["route-amed"]),
        ("丙事業", "no", ID["route-inhouse"]),
    ]


def test_program_group_shares_one_figure(tmp_path: Path) -> None:
    body = (
        "# 医薬品プロジェクト\n\n日本医療研究開発機構対象経費\n令和3年度予算額 20億円\n\n"
        "- **甲事業** / 乙事業(分野A/分野B) / 丙計画 予算額20億円\n"
    )
    line = only_section(parse(tmp_path, body)).lines[0]
    assert line.programs == ["甲事業", "乙事業", "丙計画"]  # the slash inside parentheses does not split
    assert line.amount is not None and line.amount.yen == Decimal("2000000000")


@pytest.mark.parametrize(
    ("figure", "first", "last"),
    [
        ("予算額\n30.5億円", 12, 13),  # cut after the keyword
        ("予算額\n\n30.5億円", 12, 14),  # … with a blank line between
        ("予算額 30\n.5億円", 12, 13),  # cut inside the number
        ("予算額 30.5\n億円", 12, 13),  # cut before the unit
    ],
)
def test_figures_wrapped_onto_the_next_line(tmp_path: Path, figure: str, first: int, last: int) -> None:
    body = f"# 医薬品プロジェクト\n\n日本医療研究開発機構対象経費\n令和3年度予算額 30.5億円\n\n- **甲事業**: 説明 {figure}\n"
    line = only_section(parse(tmp_path, body)).lines[0]
    assert line.amount is not None and line.amount.yen == Decimal("3050000000")
    assert (line.span.first, line.span.last) == (first, last)
    assert line.span.text.splitlines()[0].startswith("- **甲事業**")


def test_wrapped_declared_total(tmp_path: Path) -> None:
    body = "# 医薬品プロジェクト\n\n日本医療研究開発機構対象経費\n令和3年度予算額\n\n120.5億円\n"
    total = only_section(parse(tmp_path, body)).totals[0]
    assert total.amount.yen == Decimal("12050000000")
    assert (total.span.first, total.span.last) == (9, 12)  # route heading to the figure's second half


def test_block_style_figures(tmp_path: Path) -> None:
    body = (
        "# 5. 架空の研究プロジェクト\n\n日本医療研究開発機構対象経費\n平成30年度予算額 4,000千円\n\n"
        "## ●甲事業\n\n平成30年度予算額 1,500千円\n\n甲の説明\n\n"
        "## ●乙事業\n\nインハウス研究機関経費\n平成30年度予算額 2,500千円 <<再掲:関連部分>>\n\n乙の説明\n"
    )
    section = only_section(parse(tmp_path, body))
    assert section.project is None and section.name == "架空の研究プロジェクト"
    assert [(ln.label, ln.fiscal_year, ln.relisting, ln.route, ln.description) for ln in section.lines] == [
        ("甲事業", 2018, "no", ID["route-amed"], "甲の説明"),
        ("乙事業", 2018, "portion", ID["route-inhouse"], "乙の説明"),
    ]


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("# 医薬品プロジェクト\n\n日本医療研究開発機構対象経費\n令和3年度予算額 約20億円\n", 10, "not understood"),
        ("# 医薬品プロジェクト\n\n日本医療研究開発機構対象経費\n予算額 20億円\n", 10, "era-dated"),
        ("# 医薬品プロジェクト\n\n- **甲事業**: 説明 予算額20億円\n", 9, "fiscal year"),
        (
            "# 医薬品プロジェクト\n\n日本医療研究開発機構対象経費\n令和3年度予算額 20億円\n\n- **甲事業**: 予算額 2\n(注)\n",
            12,
            "not understood",
        ),
    ],
)
def test_malformed_figures_name_file_and_line(tmp_path: Path, body: str, line: int, message: str) -> None:
    with pytest.raises(DocumentError) as caught:
        parse(tmp_path, body, name="bad.md")
    assert caught.value.line == line
    assert caught.value.path.name == "bad.md"
    assert message in str(caught.value) and f"bad.md:{line}" in str(caught.value)


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "sjis.md"
    path.write_bytes("# 資料\n\n令和3年度\n".encode() + "予算額".encode("shift_jis"))
    with pytest.raises(DocumentError) as caught:
        parse_document(path)
    assert caught.value.line == 4


def test_unknown_project_heading_is_minted_with_a_warning(tmp_path: Path) -> None:
    # a typo of 医薬品プロジェクト would otherwise become a new project unnoticed
    extract = parse(
        tmp_path,
        "# 医療品プロジェクト\n\n日本医療研究開発機構対象経費\n令和3年度予算額 20億円\n\n"
        "- **甲事業**: 説明 予算額20億円\n",
        name="typo.md",
    )
    assert only_section(extract).project is None
    assert [(w.line, w.message) for w in extract.warnings] == [
        (7, "project heading not in the reference vocabulary: 医療品プロジェクト — minted as a new integrated project")
    ]


def test_known_project_heading_gives_no_warning(tmp_path: Path) -> None:
    extract = parse(
        tmp_path,
        "# ① 医薬品プロジェクト\n\n日本医療研究開発機構対象経費\n令和3年度予算額 20億円\n\n"
        "- **甲事業**: 説明 予算額20億円\n",
    )
    assert extract.warnings == []


def test_relisting_without_first_listing_warns(tmp_path: Path) -> None:
    body = (
        "# 医薬品プロジェクト\n\n日本医療研究開発機構対象経費\n令和3年度予算額 20億円\n\n"
        "- **甲事業**: 説明 予算額20億円\n"
        "- **甲事業(再掲)**: 同じプロジェクト・年度の再掲 予算額20億円\n"  # line 13: first listed on line 12
        "- **乙事業(再掲)**: 初出のない再掲 予算額5億円\n"  # line 14: nothing to repeat
        "\n# 医療機器・ヘルスケアプロジェクト\n\n日本医療研究開発機構対象経費\n令和3年度予算額 0億円\n\n"
        "- **甲事業(再掲)**: 他のプロジェクトの事業 予算額20億円\n"  # line 21: first listed in another project
    )
    extract = parse(tmp_path, body)
    assert [(w.line, w.message) for w in extract.warnings] == [
        (
            14,
            (
                "(再掲) of 乙事業 has no first listing in 医薬品プロジェクト for FY2021 in this document:"
                " its figure is left out of the total"
            ),
        ),
        (
            21,
            (
                "(再掲) of 甲事業 has no first listing in 医療機器・ヘルスケアプロジェクト for FY2021 in this document:"
                " its figure is left out of the total"
            ),
        ),
    ]


def test_relisting_of_another_year_warns(tmp_path: Path) -> None:
    body = (
        "# 医薬品プロジェクト\n\n日本医療研究開発機構対象経費\n令和3年度予算額 20億円\n\n"
        "- **甲事業**: 説明 令和2年度予算額20億円\n"
        "- **甲事業(再掲)**: 説明 令和3年度予算額20億円\n"
    )
    assert [w.line for w in parse(tmp_path, body).warnings] == [13]


def test_relisting_status_is_looked_up_by_its_code_in_the_vocabulary(tmp_path: Path) -> None:
    body = "# 医薬品プロジェクト\n\n日本医療研究開発機構対象経費\n令和3年度予算額 20億円\n\n- **甲事業**: 説明 予算額20億円 <<再掲:関連部分>>\n"
    extract = parse(tmp_path, body)
    graph = document_triples(extract)
    (allocation,) = graph.subjects(HKG.forScheme, None)
    assert graph.value(allocation, HKG.relistingStatus) == ID["relisting-portion"]
    vocabulary = reference_graph() + ontology_graph()
    vocabulary.set((ID["relisting-portion"], HKG.code, Literal("partial")))
    renamed = build_lexicon(vocabulary)
    assert renamed.relisting_status("partial") == ID["relisting-portion"]
    with pytest.raises(ValueError, match="no hkg:RelistingStatus with hkg:code 'portion'"):
        document_triples(extract, renamed)


@pytest.mark.parametrize(
    ("dated", "year"),
    [("令和三年度予算額", 2021), ("令和 三 年度予算額", 2021), ("2021年度予算額", 2021), ("２０２１年度 予算額", 2021),
     ("平成三十一年度予算額", 2019), ("令和元年度予算額", 2019)],
)
def test_figure_dated_in_another_form_inside_a_section_of_another_year(tmp_path: Path, dated: str, year: int) -> None:
    body = (
        "# 医薬品プロジェクト\n\n日本医療研究開発機構対象経費\n令和2年度予算額 20億円\n\n"
        f"- **甲事業**: 説明 予算額20億円\n- **乙事業**: 説明 {dated} 18億円\n"
    )
    lines = only_section(parse(tmp_path, body)).lines
    assert [(ln.label, ln.fiscal_year) for ln in lines] == [("甲事業", 2020), ("乙事業", year)]
    assert lines[1].description == "説明"


@pytest.mark.parametrize(("dated", "year"), [("令和七年度予算額", 2025), ("2025年度予算額", 2025), ("令和7年度予算額", 2025)])
def test_project_total_dated_in_kanji_or_western_year(tmp_path: Path, dated: str, year: int) -> None:
    extract = parse(tmp_path, f"# 医薬品プロジェクト\n\n日本医療研究開発機構対象経費\n{dated} 115.34億円\n")
    total = only_section(extract).totals[0]
    assert (total.fiscal_year, total.amount.yen) == (year, Decimal("11534000000"))


@pytest.mark.parametrize("dated", ["R3年度予算額", "令和3)年度予算額", "令和X年度予算額", "R3年度 概算要求額"])
def test_unreadable_year_on_a_figure_stops_with_file_and_line(tmp_path: Path, dated: str) -> None:
    body = (
        "# 医薬品プロジェクト\n\n日本医療研究開発機構対象経費\n令和2年度予算額 20億円\n\n"
        f"- **甲事業**: 説明 {dated} 18億円\n"
    )
    with pytest.raises(DocumentError) as caught:
        parse(tmp_path, body, name="year.md")
    assert caught.value.line == 12 and "fiscal year" in str(caught.value) and "year.md:12" in str(caught.value)


@pytest.mark.parametrize(
    ("words", "stage"),
    [
        ("令和3年度予算額", "status-initial"),
        ("令和3年度当初予算額", "status-initial"),
        ("令和3年度概算要求額", "status-request"),
        ("令和3年度要求額", "status-request"),
        ("令和3年度予算案", "status-draft"),
        ("令和3年度政府予算案", "status-draft"),
        ("令和3年度予算(案)", "status-draft"),
        ("令和3年度補正予算額", "status-supplementary"),
    ],
)
def test_stage_of_a_figure_comes_from_its_words(tmp_path: Path, words: str, stage: str) -> None:
    body = (
        f"# 医薬品プロジェクト\n\n日本医療研究開発機構対象経費\n{words} 20億円\n\n"
        f"- **甲事業**: 説明 {words} 20億円\n- **乙事業**: 説明 {words.removeprefix('令和3年度')} 10億円\n"
    )
    section = only_section(parse(tmp_path, body))
    assert section.totals[0].status == ID[stage]
    assert (section.lines[0].status, section.lines[0].fiscal_year, section.lines[0].description) == (
        ID[stage], 2021, "説明")
    assert section.lines[1].status == ID[stage]


def test_stage_words_are_the_vocabulary_markers(tmp_path: Path) -> None:
    """A marker added to the vocabulary is read as that stage: no stage word lives in the parser."""
    vocabulary = reference_graph() + ontology_graph()
    vocabulary.add((ID["status-request"], HKG.documentMarker, Literal("見込額")))
    path = tmp_path / "deck.md"
    path.write_text(HEADER + "# 医薬品プロジェクト\n\n日本医療研究開発機構対象経費\n令和3年度見込額 20億円\n", encoding="utf-8")
    assert only_section(parse_document(path, build_lexicon(vocabulary))).totals[0].status == ID["status-request"]
    assert not any(section.totals for section in parse_document(path).sections)  # unknown words: no figure


@pytest.mark.parametrize(
    ("item", "line"),
    [
        ("- **乙事業**: 説明 予算額 未定\n", 13),
        ("- **乙事業**: 説明 予算額 ―\n", 13),
        ("- **乙事業**: 説明 予算額\n\n(注)金額は調整中\n", 13),
        ("- **乙事業**: 説明\n", 13),  # no figure at all, among items that have one
        ("- **乙事業**: 説明 予算額", 13),  # the file is cut after the keyword
    ],
)
def test_item_without_a_readable_amount_keeps_the_program_and_warns(tmp_path: Path, item: str, line: int) -> None:
    body = (
        "# 医薬品プロジェクト\n\n日本医療研究開発機構対象経費\n令和3年度予算額 20億円\n\n"
        f"- **甲事業**: 説明 予算額20億円\n{item}"
    )
    extract = parse(tmp_path, body, name="cut.md")
    lines = only_section(extract).lines
    assert [(ln.label, ln.programs, ln.amount, ln.fiscal_year) for ln in lines] == [
        ("甲事業", ["甲事業"], lines[0].amount, 2021),
        ("乙事業", ["乙事業"], None, 2021),
    ]
    assert [(w.line, w.message) for w in extract.warnings] == [
        (line, "budget item without a readable amount: 乙事業 — kept as a program of 医薬品プロジェクト without a figure"),
    ]
    graph = document_triples(extract)
    (program,) = graph.subjects(RDFS.label, Literal("乙事業", lang="ja"))
    assert (program, HKG.partOfProject, ID["project-pharmaceuticals"]) in graph
    assert not list(graph.subjects(HKG.forScheme, program))


def test_plain_items_without_a_figure_are_not_programs(tmp_path: Path) -> None:
    body = (
        "# 医薬品プロジェクト\n\n日本医療研究開発機構対象経費\n令和3年度予算額 20億円\n\n"
        "- **甲事業**: 説明 予算額20億円\n\n## 【達成目標】\n\n- 新薬の承認数の増加\n"
    )
    extract = parse(tmp_path, body)
    assert [ln.label for ln in only_section(extract).lines] == ["甲事業"]
    assert extract.warnings == []


def test_relisting_with_another_figure_than_its_first_listing_warns(tmp_path: Path) -> None:
    body = (
        "# 医薬品プロジェクト\n\n日本医療研究開発機構対象経費\n令和3年度予算額 30億円\n\n"
        "- **甲事業**: 説明 予算額20億円\n"
        "- **乙事業**: 説明 予算額10億円\n"
        "- **甲事業(再掲)**: 説明 予算額22億円\n"  # line 14: 22 against 20
        "- **乙事業(再掲)**: 説明 予算額10.0億円\n"  # the same figure at another precision: fine
    )
    extract = parse(tmp_path, body)
    assert [(w.line, w.message) for w in extract.warnings] == [
        (14, "(再掲) figure 22億円 of 甲事業 differs from its first listing 20億円 on line 12:"
             " the first listing's figure is counted"),
    ]


def test_issued_date_in_kanji(tmp_path: Path) -> None:
    path = tmp_path / "kanji.md"
    path.write_text("# 資料\n\n令和三年六月一日\n\n内閣官房健康・医療戦略室\n", encoding="utf-8")
    assert parse_document(path).issued.isoformat() == "2021-06-01"  # type: ignore[union-attr]


def test_a_program_listed_twice_in_one_document_keeps_both_lines(tmp_path: Path) -> None:
    """Budget lines are named by what they fund; a second listing without (再掲) is a second line, not the first."""
    body = (
        "# 医薬品プロジェクト\n\n日本医療研究開発機構対象経費\n令和3年度予算額 30億円\n\n"
        "## 創薬基盤\n\n- **甲事業**: 基盤の部分 予算額20億円\n\n## 臨床\n\n- **甲事業**: 臨床の部分 予算額10億円\n"
    )
    graph = document_triples(parse(tmp_path, body))
    lines = sorted(graph.subjects(RDF.type, HKG.BudgetAllocation))
    assert len(lines) == 2
    assert sorted(graph.value(line, HKG.amountYen).toPython() for line in lines) == [1_000_000_000, 2_000_000_000]
