"""The named-query library answers the cross-project questions, checked against answers worked out by hand.

Sources of the expected figures: "L<n>" is a line of the seed document
(data/documents/2020-08-04_cas_genome-data-platform-project.md); "facts" is a row of
data/curated/facts.tsv (subject, predicate, fiscal year), "facts.tsv:N" its line N.
1億円 = 100,000,000 yen; 千円 = 1,000 yen.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from pyoxigraph import Store

from healthkg.cli.main import cli
from healthkg.engine.backends import LocalBackend
from healthkg.engine.store import open_store
from healthkg.queries.catalogue import ParameterError, catalogue
from healthkg.queries.entities import EntityResolver

OKU = 100_000_000
GENOME = "ゲノム・データ基盤プロジェクト"
FIRST_PERIOD = "疾病克服に向けたゲノム医療実現プロジェクト"  # L313, the FY2019 (1st-period) project
CANCER = "革新的がん医療実用化研究事業"
ID = "https://w3id.org/healthkg/id/"

QUESTIONS = [
    "budget-by-ministry", "disease-area-programs", "coverage-matrix", "programs-by-purpose",
    "program-budget-change", "multi-project-programs", "infrastructure-programs", "budget-route-split",
    "disease-area-mappings", "provenance", "label-search", "organisation-roles", "describe",
    "program-budget-series", "project-budget-series", "program-project-moves", "project-composition",
    "ministry-project-share", "programs-without-budget",
]
RARE = "難治性疾患実用化研究事業"
DATA_LIFECOURSE = "データ利活用・ライフコースプロジェクト"
PHARMA_3 = "医薬品プロジェクト(第3期)"
REGENERATIVE_3 = "再生・細胞医療・遺伝子治療プロジェクト(第3期)"
STAGED = [name for name in catalogue() if any(p.name == "stage" for p in catalogue()[name].params)]


@pytest.fixture(scope="module")
def store(seed_store: Path) -> Store:
    return open_store(seed_store)


def rows(store: Store, name: str, **params: str) -> list[dict[str, str]]:
    backend = LocalBackend(store)
    results = backend.select(catalogue()[name].render(params, EntityResolver(backend)))
    return [{k: v["value"] for k, v in b.items()} for b in results["results"]["bindings"]]


def yen(value: str) -> int:
    return int(value)


def oku(amount: str) -> int:
    """億円 as written in the document, in yen (exact: no binary floating point)."""
    return int(Decimal(amount) * OKU)


@pytest.mark.parametrize("name", QUESTIONS)
def test_every_question_has_a_full_header(name: str) -> None:
    query = catalogue()[name]
    assert query.summary and query.description and query.example.startswith(f"healthkg query --name {name}")
    assert query.tags
    if query.kind == "SELECT":
        assert query.columns
    for parameter in query.params:
        assert parameter.description and parameter.type in (
            "string", "integer", "iri", "search", "decimal", "boolean", "entity")
        assert (parameter.kind is not None) <= (parameter.type == "entity")


def test_budget_by_ministry_without_double_counting(store: Store) -> None:
    got = {(r["fiscal_year"], r["route"], r.get("ministry", "")): yen(r["amount_yen"])
           for r in rows(store, "budget-by-ministry", project=GENOME)}
    assert got == {
        # MEXT (facts: ministry 文部科学省): platform 19 (L216) + Tohoku Medical Megabank 36 (L240) + NBRP 13 (L244).
        # The platform's relisting at L234 (再掲) is a duplicate and is not added again.
        ("2020", "amed", "文部科学省"): 68 * OKU,
        # MHLW (facts): cancer 32 (L217) + intractable 29 (L218) + dementia 8 (L219) + genome drug discovery 3 (L254)
        ("2020", "amed", "厚生労働省"): 72 * OKU,
        # No ministry fact: clinical genome DB 6 (L220), the ten-program group 20 (L224, several ministries),
        # BioBank Japan 4 (L241), ICT/AI 5 (L257; the facts about its namesake are not matched)
        ("2020", "amed", ""): 35 * OKU,
        # in-house: NCBN 11 (L242-243) + NC group 7 (L255-256), no ministry facts
        ("2020", "inhouse", ""): 18 * OKU,
    }
    assert sum(got[k] for k in got if k[1] == "amed") == 175 * OKU  # the declared AMED total, L203


def test_budget_by_ministry_first_period_counts_relisted_portions(store: Store) -> None:
    got = {(r["route"], r.get("ministry", "")): yen(r["amount_yen"])
           for r in rows(store, "budget-by-ministry", project=FIRST_PERIOD, fiscal_year="2019")}
    assert got == {
        # MHLW: genome drug discovery 3.0 (L373) + portions of cancer 23.9 (L383), dementia 0.8 (L389), intractable 11.9 (L395)
        ("amed", "厚生労働省"): oku("39.6"),
        # MEXT: platform 18.9 (L339, same program as L216 by its base name) + Tohoku Medical Megabank 30.5 (L428)
        ("amed", "文部科学省"): oku("49.4"),
        ("amed", ""): oku("9.4"),  # clinical genome DB 6.0 (L348) + BioBank Japan 3.4 (L415)
        ("inhouse", ""): 18 * OKU,  # 3.8 (L355) + 3.5 (L362) + 10.7 (L422)
    }


def test_disease_area_programs_cross_projects(store: Store) -> None:
    found = [r for r in rows(store, "disease-area-programs", area="cancer") if r["program"] == CANCER]
    assert {r["ministry"] for r in found} == {"厚生労働省"}  # facts: ministry
    lines = {(r["project"], r["fiscal_year"], yen(r["amount_yen"]), r["relisted"]) for r in found if "amount_yen" in r}
    assert lines == {
        (GENOME, "2020", 32 * OKU, "no"),  # L217
        (FIRST_PERIOD, "2019", oku("23.9"), "portion"),
    }  # L383 <<再掲:ゲノム関連部分>>
    # facts: integrated_project FY2023, listed without a budget line in the graph
    assert {r["project"] for r in found if "amount_yen" not in r} >= {
        "医薬品プロジェクト",
        "医療機器・ヘルスケアプロジェクト",
        "再生・細胞医療・遺伝子治療プロジェクト",
        "疾患基礎研究プロジェクト",
    }
    # dementia: the dementia program (facts: disease_area 老年医学・認知症), 8億 in FY2020 (L219)
    dementia = rows(store, "disease-area-programs", area="dementia", fiscal_year="2020")
    assert {(r["program"], yen(r["amount_yen"])) for r in dementia if "amount_yen" in r} >= {
        ("認知症研究開発事業", 8 * OKU)
    }
    assert all(r.get("fiscal_year", "2020") == "2020" for r in dementia)


def test_coverage_matrix_cells(store: Store) -> None:
    cells = {(r["project"], r["area"]): r for r in rows(store, "coverage-matrix", fiscal_year="2020")}
    # cancer: the cancer program 32 (L217) + the clinical genome DB program 6 (L220), which concerns
    # cancer and intractable diseases by its text (L350 「がん、難病等の臨床情報及びゲノム情報」)
    assert (int(cells[(GENOME, "がん")]["programs"]), yen(cells[(GENOME, "がん")]["amount_yen"])) == (2, 38 * OKU)
    # intractable: the intractable program 29 (L218) + the same DB program 6 (L220)
    assert (int(cells[(GENOME, "難病")]["programs"]), yen(cells[(GENOME, "難病")]["amount_yen"])) == (2, 35 * OKU)
    assert yen(cells[(GENOME, "老年医学・認知症")]["amount_yen"]) == 8 * OKU  # L219
    # facts: the cancer program is listed under 医薬品プロジェクト (FY2023) without a line here
    assert int(cells[("医薬品プロジェクト", "がん")]["programs"]) >= 1
    assert yen(cells[("医薬品プロジェクト", "がん")]["amount_yen"]) == 0


def test_programs_by_purpose(store: Store) -> None:
    found = {(r["project"], r["program"]) for r in rows(store, "programs-by-purpose", purpose="diagnosis")}
    # facts: purpose 診断 for the cancer, intractable and dementia programs, all in the genome project (L217-219)
    assert {(GENOME, CANCER), (GENOME, "難治性疾患実用化研究事業"), (GENOME, "認知症研究開発事業")} <= found
    prevention_only = {r["program"] for r in rows(store, "programs-by-purpose", purpose="prevention", project=GENOME)}
    assert "循環器疾患・糖尿病等生活習慣病対策実用化研究事業" in prevention_only  # facts: purpose 予防
    treatment = {r["program"] for r in rows(store, "programs-by-purpose", purpose="treatment", project=GENOME)}
    assert "循環器疾患・糖尿病等生活習慣病対策実用化研究事業" not in treatment  # no such fact or mention


def test_program_budget_change_document_measure(store: Store) -> None:
    got = {
        r["program"]: (yen(r["from_yen"]), yen(r["to_yen"]), yen(r["change_yen"]))
        for r in rows(store, "program-budget-change", measure="document", from_year="2019", to_year="2020")
    }
    assert got[CANCER] == (oku("23.9"), 32 * OKU, oku("8.1"))  # L383 → L217
    assert got["東北メディカル・メガバンク計画"] == (oku("30.5"), 36 * OKU, oku("5.5"))  # L428 → L240
    # Renamed sub-title in FY2019 (L337 …(目標設定型の先端ゲノム研究開発)) is the same program: 18.9 → 19 (L216, not L234's 再掲)
    assert got["ゲノム医療実現推進プラットフォーム事業"] == (oku("18.9"), 19 * OKU, oku("0.1"))
    assert got["臨床ゲノム情報統合データベース整備事業"] == (6 * OKU, 6 * OKU, 0)  # L348 → L220
    assert "ゲノム診断支援システム整備事業" not in got  # FY2020 it is in a shared group figure (L255), not its own


def test_program_budget_change_program_measure_prefers_exact_figures(store: Store) -> None:
    got = {
        (r["from_year"], r["to_year"]): r
        for r in rows(store, "program-budget-change", measure="program")
        if r["program"] == CANCER
    }
    # facts: 令和2年度 8,673,021千円 and 令和3年度 9,013,021千円 (the rounded 87億/90億 rows are not used)
    assert yen(got[("2020", "2021")]["from_yen"]) == 8_673_021_000
    assert yen(got[("2020", "2021")]["change_yen"]) == 340_000_000
    assert float(got[("2020", "2021")]["change_pct"]) == pytest.approx(3.9)


def test_program_budget_change_follows_lineage(seed_store: Path) -> None:
    # Lineage is exercised on a copy: a successor with a figure the year after its predecessor's.
    store = open_store(seed_store)
    store.update("""
        PREFIX hkg: <https://w3id.org/healthkg/ontology#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        INSERT DATA { GRAPH <urn:test:lineage> {
          <urn:test:successor> a hkg:Program ; rdfs:label "後継事業"@ja ; hkg:renamedFrom <urn:test:predecessor> .
          <urn:test:predecessor> a hkg:Program ; rdfs:label "前身事業"@ja .
          <urn:test:b1> a hkg:ProgramBudget ; hkg:budgetOfProgram <urn:test:predecessor> ; hkg:fiscalYearNumber 2021 ;
              hkg:amountYen 100 ; hkg:precisionYen 1 ; hkg:budgetStatus <https://w3id.org/healthkg/id/status-initial> .
          <urn:test:b2> a hkg:ProgramBudget ; hkg:budgetOfProgram <urn:test:successor> ; hkg:fiscalYearNumber 2022 ;
              hkg:amountYen 150 ; hkg:precisionYen 1 ; hkg:budgetStatus <https://w3id.org/healthkg/id/status-initial> .
        } }""")
    got = [r for r in rows(store, "program-budget-change", from_year="2021") if r["program"] == "後継事業"]
    assert [(r["via"], r["from_yen"], r["to_yen"], r["change_pct"]) for r in got] == [("前身事業", "100", "150", "50")]


def test_multi_project_programs_share(store: Store) -> None:
    found = [r for r in rows(store, "multi-project-programs", fiscal_year="2020") if r["program"] == CANCER]
    share = next(r for r in found if r["project"] == GENOME)
    # L217 32億 of the whole FY2020 budget 8,673,021千円 (facts) = 36.9 %
    assert (yen(share["amount_yen"]), yen(share["program_budget_yen"]), float(share["share_pct"])) == (
        32 * OKU,
        8_673_021_000,
        36.9,
    )
    # genome project, the 1st-period project (L383), four projects from facts (FY2023) and three 3rd-period
    # projects from facts (FY2026)
    assert int(share["projects"]) == 9


def test_infrastructure_programs(store: Store) -> None:
    found = rows(store, "infrastructure-programs")
    kinds = {r["infrastructure"]: r["kind"] for r in found}
    assert kinds["東北メディカル・メガバンク"] == "Biobank" and kinds["統合データベース"] == "DataPlatform"
    cross = next(r for r in found if r["infrastructure"] == "バイオバンク横断検索システム")
    # L238-241: the cross-search system links the biobanks
    assert set(cross["connects"].split(", ")) >= {"東北メディカル・メガバンク", "バイオバンク・ジャパン"}
    built = {(r["infrastructure"], r.get("program", "")) for r in found}
    # L240: 東北メディカル・メガバンク計画 builds the cohort biobank; L220: the DB program builds 「統合データベース」
    assert ("東北メディカル・メガバンク", "東北メディカル・メガバンク計画") in built
    assert ("統合データベース", "臨床ゲノム情報統合データベース整備事業") in built


def test_route_split_declared_and_computed(store: Store) -> None:
    got = {(r["project"], r["fiscal_year"]): r for r in rows(store, "budget-route-split")}
    genome = got[(GENOME, "2020")]
    # L203 AMED 175億, L206 in-house 18億; lines add up exactly
    assert [yen(genome[k]) for k in ("amed_yen", "inhouse_yen", "total_yen", "declared_total_yen")] == [
        175 * OKU,
        18 * OKU,
        193 * OKU,
        193 * OKU,
    ]
    assert float(genome["amed_share_pct"]) == 90.7  # 175 / 193
    first = got[(FIRST_PERIOD, "2019")]
    # L316 declares 98億 (一部再掲); its lines add up to 98.4億 (portions included)
    assert (yen(first["amed_yen"]), yen(first["declared_amed_yen"])) == (oku("98.4"), 98 * OKU)


def test_disease_area_mappings(store: Store) -> None:
    found = {(r["relation"], r["scheme"], r["term"]): r for r in rows(store, "disease-area-mappings", area="cancer")}
    # external_ids.tsv (verified): MONDO:0004992 cancer, MeSH D009369, ICD-10 chapter II
    assert ("closeMatch", "MONDO", "http://purl.obolibrary.org/obo/MONDO_0004992") in found
    assert ("broadMatch", "MeSH", "http://id.nlm.nih.gov/mesh/D009369") in found
    assert ("broadMatch", "ICD-10", "https://icd.who.int/browse10/2019/en#/II") in found
    assert all(CANCER in r["programs"] for r in found.values())  # facts: disease_area がん
    mondo_only = rows(store, "disease-area-mappings", scheme="MONDO")
    assert mondo_only and all(r["term"].startswith("http://purl.obolibrary.org/obo/MONDO_") for r in mondo_only)


def test_provenance_of_a_number_and_an_entity(store: Store, seed_allocation: Callable[[int], str]) -> None:
    line = seed_allocation(216)
    found = rows(store, "provenance", iri=line)
    assert [(r["document"], r["line"]) for r in found] == [("2020-08-04_cas_genome-data-platform-project.md", "216")]
    assert "予算額19億円" in found[0]["text"]
    program = next(r["entity"] for r in rows(store, "label-search", q=CANCER) if "/program/" in r["entity"])
    sources = rows(store, "provenance", iri=program)
    assert {r["line"] for r in sources if "line" in r} >= {"217", "381"}  # L217 and the block L381-383
    # a curated fact: the ministry, with the page it was verified on and its quote
    ministry = next(r for r in sources if r["statement"].startswith("administeredBy"))
    assert ministry["source_url"] == "https://wic-net.com/material/document/3659/38"
    assert "健康局がん・疾病対策課" in ministry["text"]


@pytest.mark.parametrize(
    "text, entity",
    [
        ("ばいおばんく", ID + "infra-biobank-japan"),  # hiragana finds katakana バイオバンク・ジャパン
        ("バイオバンクジャパン", ID + "infra-biobank-japan"),  # left-out ・
        ("ＢＢＪ", ID + "infra-biobank-japan"),  # full-width alternative label
        ("ｶﾞﾝ", ID + "disease-cancer"),  # half-width katakana for がん
        ("Dementia", ID + "disease-geriatrics-dementia"),  # English, any case, partial
        ("文科省", ID + "org-mext"),  # a short form (skos:altLabel)
    ],
)
def test_label_search_normalises_width_and_kana(store: Store, text: str, entity: str) -> None:
    assert entity in {r["entity"] for r in rows(store, "label-search", q=text)}


def test_label_search_rejects_empty_text() -> None:
    with pytest.raises(ParameterError):
        catalogue()["label-search"].render({"q": " ・ "})


def test_organisation_roles_include_in_house_routes(store: Store) -> None:
    found = rows(store, "organisation-roles")
    pairs = {(r.get("ministry", ""), r["program"], r.get("route", ""), r.get("agency", "")) for r in found}
    assert ("厚生労働省", CANCER, "amed", "日本医療研究開発機構") in pairs  # facts: ministry; L217 AMED route
    assert ("文部科学省", "東北メディカル・メガバンク計画", "amed", "日本医療研究開発機構") in pairs  # facts; L240
    # L242-243 インハウス研究機関経費: spent by the National Centers
    assert ("", "ナショナルセンターバイオバンクネットワーク", "inhouse", "国立高度専門医療研究センター") in pairs
    inhouse = rows(store, "organisation-roles", route="inhouse")
    assert inhouse and {r["route"] for r in inhouse} == {"inhouse"}
    mext = rows(store, "organisation-roles", ministry="mext")
    assert mext and {r["ministry"] for r in mext} == {"文部科学省"}


def test_describe_gives_the_entity_and_its_neighbours_labels(store: Store) -> None:
    text = LocalBackend(store).construct(catalogue()["describe"].render({"iri": ID + "project-genome-data"}))
    assert "ゲノム・データ基盤プロジェクト" in text.decode()
    assert "hasProgram" in text.decode() or "partOfProject" in text.decode()


def test_questions_run_from_the_cli(seed_store: Path) -> None:
    result = CliRunner().invoke(
        cli, ["query", "--name", "budget-route-split", "--store", str(seed_store), "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    assert "17500000000" in result.output


def test_readme_is_generated_from_the_headers() -> None:
    from importlib import resources

    from healthkg.queries.readme import render_readme

    committed = resources.files("healthkg.queries").joinpath("README.md").read_text(encoding="utf-8")
    assert committed == render_readme(catalogue().values()), "run `healthkg queries --markdown > queries/README.md`"
    result = CliRunner().invoke(cli, ["queries", "--markdown"])
    assert result.exit_code == 0 and result.output == committed
    for name in QUESTIONS:
        assert f"## {name}" in committed


# ---- stages: every budget question takes one, the enacted initial budget by default -------------


@pytest.mark.parametrize("name", STAGED)
def test_budget_questions_default_to_the_enacted_initial_budget(name: str) -> None:
    stage = next(p for p in catalogue()[name].params if p.name == "stage")
    assert stage.default == "initial" and {"initial", "draft", "request", "supplementary"} <= set(stage.enum)


def test_every_question_over_budget_figures_takes_a_stage() -> None:
    figures = [name for name, query in catalogue().items()
               if "hkg:amountYen" in query.text and not name.startswith("audit-")]
    assert figures and set(figures) <= set(STAGED)


def test_a_request_is_not_an_enacted_budget(store: Store) -> None:
    # facts.tsv:389: 再生医療実用化研究事業 FY2023 要求額 3,253,744千円 (request); no enacted figure in the graph
    initial = rows(store, "program-budget-series", program="再生医療実用化研究事業")
    request = rows(store, "program-budget-series", program="再生医療実用化研究事業", stage="request")
    assert initial == []
    assert [(r["fiscal_year"], r["measure"], yen(r["amount_yen"])) for r in request] == [
        ("2023", "program", 3_253_744_000)]


# ---- landscape questions, answers worked out from facts.tsv rows --------------------------------


def test_program_budget_series_keeps_whole_share_and_line_apart(store: Store) -> None:
    got = {(r["fiscal_year"], r["measure"], r.get("project", ""), r.get("route", "")): yen(r["amount_yen"])
           for r in rows(store, "program-budget-series", program=RARE)}
    assert got == {
        ("2019", "document line", FIRST_PERIOD, "amed"): oku("11.9"),  # L395 <<再掲:ゲノム関連部分>>
        ("2020", "document line", GENOME, "amed"): 29 * OKU,  # L218
        ("2020", "program", "", ""): 8_150_809_000,  # facts.tsv:55, 当初予算額 8,150,809千円
        ("2021", "program", "", ""): 8_150_809_000,  # facts.tsv:56
        ("2022", "program", "", ""): 7_932_810_000,  # facts.tsv:57
        ("2023", "program", "", ""): 8_888_553_000,  # facts.tsv:58
        ("2024", "program", "", ""): 8_544_568_000,  # facts.tsv:59
        ("2025", "program", "", ""): 8_594_568_000,  # facts.tsv:60
        ("2025", "share", PHARMA_3, ""): 2_824_811_000,  # facts.tsv:376, PJ区分 医薬品
        ("2025", "share", REGENERATIVE_3, ""): 1_405_168_000,  # facts.tsv:377
        ("2025", "share", DATA_LIFECOURSE, ""): 4_364_589_000,  # facts.tsv:378
    }
    # the FY2025 shares add up to the whole budget of the same stage: 2,824,811 + 1,405,168 + 4,364,589 = 8,594,568
    assert sum(v for k, v in got.items() if k[:2] == ("2025", "share")) == got[("2025", "program", "", "")]
    series = rows(store, "program-budget-series", program=CANCER, from_year="2015", to_year="2018")
    # facts (9588/1, rounded 億円): 86.6, 80.6, 80, 84.6 for FY2015–2018, the start of the series
    assert [(r["fiscal_year"], yen(r["amount_yen"])) for r in series] == [
        ("2015", oku("86.6")), ("2016", oku("80.6")), ("2017", 80 * OKU), ("2018", oku("84.6"))]


def test_project_budget_series_never_takes_a_ministrys_part_for_the_total(store: Store) -> None:
    pharma = {(r["fiscal_year"], r["route"], r.get("ministry", "")): yen(r["amount_yen"])
              for r in rows(store, "project-budget-series", project="医薬品プロジェクト")}
    # facts.tsv:526-528 (JGA news, FY2021 budget): AMED 336億, in-house 47億, both 383億, every ministry
    assert pharma == {("2021", "amed", ""): 336 * OKU, ("2021", "inhouse", ""): 47 * OKU, ("2021", "all", ""): 383 * OKU}
    draft = rows(store, "project-budget-series", project="医薬品プロジェクト", stage="draft")
    # facts.tsv:459: 厚生労働省計上分 182億 of the FY2022 予算案: the health ministry's part of a draft
    assert [(r["fiscal_year"], r["route"], r["ministry"], yen(r["amount_yen"])) for r in draft] == [
        ("2022", "amed", "厚生労働省", 182 * OKU)]
    requests = rows(store, "project-budget-series", stage="request")
    # facts.tsv:261, 460, 461: the health ministry's FY2026 requests for three 3rd-period projects (no route stated)
    assert {(r["project"], r["period"], r["ministry"], yen(r["amount_yen"]), r.get("route", "")) for r in requests} == {
        (DATA_LIFECOURSE, "3", "厚生労働省", oku("172.1"), ""),
        (PHARMA_3, "3", "厚生労働省", oku("191.5"), ""),
        ("医療機器・ヘルスケアプロジェクト(第3期)", "3", "厚生労働省", oku("17.6"), ""),
    }
    genome = {(r["fiscal_year"], r["measure"], r["route"], r.get("ministry", "")): yen(r["amount_yen"])
              for r in rows(store, "project-budget-series", project=GENOME)}
    # L203 and L206 declare FY2020's totals; facts.tsv:532 states the health ministry's FY2021 part (前年度, 104億)
    assert genome == {("2020", "declared", "amed", ""): 175 * OKU, ("2020", "declared", "inhouse", ""): 18 * OKU,
                      ("2021", "stated", "amed", "厚生労働省"): 104 * OKU}


def test_programs_that_moved_from_the_2nd_to_the_3rd_period(store: Store) -> None:
    moves = {r["program"]: r for r in rows(store, "program-project-moves")}
    cancer = moves[CANCER]
    # facts.tsv:15-19 (FY2023, five 2nd-period projects; GD also L217) → facts.tsv:20-22 (FY2026, three 3rd-period ones)
    assert set(cancer["from_projects"].split(", ")) == {
        "医薬品プロジェクト", "医療機器・ヘルスケアプロジェクト", "再生・細胞医療・遺伝子治療プロジェクト", GENOME,
        "疾患基礎研究プロジェクト"}
    assert set(cancer["to_projects"].split(", ")) == {PHARMA_3, REGENERATIVE_3, DATA_LIFECOURSE}
    assert cancer["listed_to"] == "2026"
    # facts.tsv:311 (FY2023 医薬品プロジェクト) → facts.tsv:312 and 488 (FY2026 感染症 PJ, FY2025 感染症プロジェクト)
    infection = moves["新興・再興感染症に対する革新的医薬品等開発推進研究事業"]
    assert (infection["from_projects"], infection["to_projects"]) == ("医薬品プロジェクト", "感染症プロジェクト")
    assert set(infection["listed_to"].split(", ")) == {"2025", "2026"}
    # a program listed in one period only is not a move
    assert "再生医療実現拠点ネットワークプログラム" not in moves
    assert rows(store, "program-project-moves", from_period="1", to_period="3") == []  # 1st-plan projects have no period


def test_composition_of_a_3rd_period_project(store: Store) -> None:
    found = {r["program"]: r for r in rows(store, "project-composition", project=DATA_LIFECOURSE)}
    assert len(found) == 13  # the programs FY2026 listing rows put under データ利活用・ライフコース (PJ, プロジェクト, …)
    rare = found[RARE]
    # FY2025 (the period's first year): its share here 4,364,589千円 (facts.tsv:378) of its whole 8,594,568千円 (:60)
    assert (rare["fiscal_year"], yen(rare["share_yen"]), yen(rare["program_budget_yen"])) == (
        "2025", 4_364_589_000, 8_594_568_000)
    assert set(rare["other_projects"].split(", ")) == {PHARMA_3, REGENERATIVE_3}
    assert "share_yen" not in found["長寿科学研究開発事業"]  # whole budget 142,714千円 (FY2025), no PJ区分 row
    assert yen(found["長寿科学研究開発事業"]["program_budget_yen"]) == 142_714_000
    projects = {r["project"] for r in rows(store, "project-composition")}
    assert len(projects) == 6  # the 3rd-period projects a source lists programs under (two have none)


def test_each_ministrys_share_per_project_and_year(store: Store) -> None:
    got = {(r["project"], r["fiscal_year"], r["ministry"]): r for r in rows(store, "ministry-project-share")}
    # FY2020 genome project (L216-L257): MHLW 72億, MEXT 68億, unknown ministry 53億 of 193億
    assert {k[2]: (yen(r["amount_yen"]), float(r["share_pct"])) for k, r in got.items() if k[:2] == (GENOME, "2020")} == {
        "厚生労働省": (72 * OKU, 37.3), "文部科学省": (68 * OKU, 35.2), "": (53 * OKU, 27.5)}
    # FY2025 データ利活用: 難治性 4,364,589 (facts.tsv:378) + がん 4,979,676 (facts.tsv:38), both MHLW programs
    lifecourse = got[(DATA_LIFECOURSE, "2025", "厚生労働省")]
    assert (yen(lifecourse["amount_yen"]), int(lifecourse["figures"]), float(lifecourse["share_pct"])) == (
        9_344_265_000, 2, 100.0)
    # FY2021 genome project: what a source states as the health ministry's part (facts.tsv:532, 104億), no programs
    stated = got[(GENOME, "2021", "厚生労働省")]
    assert yen(stated["stated_yen"]) == 104 * OKU and "amount_yen" not in stated
    # stages stay apart: the same table for requests shows the FY2023 PJ区分 request (facts.tsv:139)
    requests = rows(store, "ministry-project-share", stage="request", project=GENOME)
    assert [(r["fiscal_year"], yen(r["amount_yen"])) for r in requests] == [("2023", 88_888_000)]


def test_programs_without_a_budget_figure(store: Store) -> None:
    nothing = {r["program"]: r for r in rows(store, "programs-without-budget", stage="any")}
    assert "橋渡し研究プログラム" in nothing and CANCER not in nothing  # no row gives 橋渡し研究プログラム a figure
    without_initial = {r["program"]: r.get("other_stages", "") for r in rows(store, "programs-without-budget")}
    # facts.tsv:408: only a FY2019 request (概算要求 34.5億円); facts.tsv:578-580: CiCLE's supplementary funds
    assert without_initial["先進的医療機器・システム等技術開発事業"] == "request"
    assert without_initial["医療研究開発革新基盤創成事業"] == "supplementary"
    assert set(nothing) < set(without_initial)
