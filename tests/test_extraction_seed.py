"""Everything the seed deck states beyond budgets is extracted from its text, with its lines.

Each test reads the seed's document graph (as the loaders produce it) and
checks one kind of statement and the line it says it came from; the line
numbers are those of data/documents/2020-08-04_cas_genome-data-platform-project.md.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from rdflib import DCTERMS, PROV, RDF, RDFS, Graph, Literal, URIRef

from healthkg.engine.backends import LocalBackend
from healthkg.engine.store import open_store
from healthkg.loaders.deck import DocumentExtract, parse_document
from healthkg.loaders.triples import document_iri, document_triples, group_iri, program_iri
from healthkg.ontology import HKG, ID

SEED = Path(__file__).parents[1] / "data" / "documents" / "2020-08-04_cas_genome-data-platform-project.md"


@pytest.fixture(scope="module")
def extract() -> DocumentExtract:
    return parse_document(SEED)


@pytest.fixture(scope="module")
def graph(extract: DocumentExtract) -> Graph:
    return document_triples(extract)


def lines_of(graph: Graph, node: URIRef) -> set[int]:
    """First line numbers of every source location a node is derived from."""
    return {int(graph.value(where, HKG.lineNumber)) for where in graph.objects(node, PROV.wasDerivedFrom)}


def objects(graph: Graph, subject: URIRef, predicate: URIRef) -> set[URIRef]:
    return set(graph.objects(subject, predicate))  # type: ignore[arg-type]


def test_law_and_cited_articles(graph: Graph, extract: DocumentExtract) -> None:
    law = ID["law-healthcare-policy-promotion"]
    article17, article2 = URIRef(f"{law}-article-17"), URIRef(f"{law}-article-2")
    # 第17条 on line 9 (slide) and 第二条 quoted in kanji under the law's heading on line 271
    assert objects(graph, document_iri(extract), HKG.citesArticle) == {article17, article2}
    assert graph.value(article2, HKG.articleNumber).toPython() == 2
    assert str(graph.value(article2, DCTERMS.description)).startswith(
        "健康・医療に関する先端的研究開発及び新産業創出は"
    )
    assert lines_of(graph, article17) == {9} and lines_of(graph, article2) == {271}
    strategy = ID["strategy-2nd"]
    assert (strategy, HKG.basedOnLaw, law) in graph and (strategy, HKG.citesArticle, article17) in graph
    assert 9 in lines_of(graph, strategy)


def test_strategy_and_plan_decisions_and_periods(graph: Graph) -> None:
    strategy, plan = ID["strategy-2nd"], ID["plan-2nd"]
    assert graph.value(strategy, HKG.decisionDate) == graph.value(plan, HKG.decisionDate) == Literal(date(2020, 3, 27))
    assert graph.value(strategy, HKG.decidedBy) == ID["org-cabinet"]  # 閣議決定, line 273
    assert graph.value(plan, HKG.decidedBy) == ID["org-hq-healthcare-policy"]  # 健康・医療戦略推進本部決定, line 296
    assert (plan, HKG.implementsStrategy, strategy) in graph  # 健康・医療戦略に即して策定, line 86
    assert {273} <= lines_of(graph, strategy) and {86, 296} <= lines_of(graph, plan)
    for framework in (strategy, plan):  # 2020年度から2024年度までの5年間 (l.11) / 2020～2024年度の5年間 (l.87)
        period = graph.value(framework, HKG.hasPeriod)
        assert graph.value(period, HKG.firstFiscalYear) == ID["fy/2020"]
        assert graph.value(period, HKG.lastFiscalYear) == ID["fy/2024"]
    assert 87 in lines_of(graph, plan) and 11 in lines_of(graph, strategy)


def test_basic_policies_of_strategy_and_plan(graph: Graph) -> None:
    def policies(framework: URIRef) -> list[tuple[int, str]]:
        found = objects(graph, framework, HKG.hasBasicPolicy)
        return sorted((min(lines_of(graph, p)), str(graph.value(p, RDFS.label))) for p in found)

    assert policies(ID["strategy-2nd"]) == [
        (15, "世界最高水準の医療の提供に資する医療分野の研究開発の推進"),
        (22, "健康長寿社会の形成に資する新産業創出及び国際展開の促進"),
    ]
    assert policies(ID["plan-2nd"]) == [
        (91, "基礎から実用化までの一貫した研究開発"),
        (92, "モダリティ等を軸とした統合プロジェクト推進"),
        (93, "最先端の研究開発を支える環境の整備"),
    ]


def test_bodies_and_agencies(graph: Graph, extract: DocumentExtract) -> None:
    council = ID["org-council-genomic-medicine"]
    assert graph.value(council, HKG.establishedUnder) == ID["org-council-healthcare-policy"]
    assert lines_of(graph, council) == {192}  # heading 192 through 「…の下に…協議会を置く」 on 194
    plan = ID["plan-2nd"]
    assert objects(graph, plan, HKG.cooperatingAgency) == {ID["org-jsps"], ID["org-jst"], ID["org-nedo"]}
    assert objects(graph, plan, HKG.coreFundingAgency) == {ID["org-amed"]}  # AMED(I)による支援を中核とした
    document = str(document_iri(extract))
    assert (URIRef(f"{document}#L43"), HKG.namesOrganization, ID["org-csti"]) in graph
    assert (URIRef(f"{document}#L296"), HKG.namesOrganization, ID["org-hq-healthcare-policy"]) in graph


def test_project_and_disease_area_descriptions(graph: Graph) -> None:
    projects = [
        "pharmaceuticals",
        "medical-devices",
        "regenerative",
        "genome-data",
        "disease-basic",
        "seeds-infrastructure",
    ]
    for number, code in zip(range(110, 131, 4), projects):
        project = ID[f"project-{code}"]
        assert graph.value(project, DCTERMS.description) is not None
        assert number in lines_of(graph, project)
        assert (project, HKG.partOfPlan, ID["plan-2nd"]) in graph  # listed under 6つの統合プロジェクト
    areas = [
        "cancer",
        "lifestyle",
        "psychiatric-neurological",
        "geriatrics-dementia",
        "intractable",
        "child-maternal",
        "infectious",
    ]
    for number, code in zip(range(145, 170, 4), areas):
        assert number in lines_of(graph, ID[f"disease-{code}"])
    # the heading 育成 was repaired to 成育, so its paragraph describes the child and maternal health area
    assert str(graph.value(ID["disease-child-maternal"], DCTERMS.description)).startswith("周産期・小児期から")


def test_ministries_of_projects(graph: Graph) -> None:
    genome, predecessor = ID["project-genome-data"], ID["project-genome-medicine-1st"]
    # (科技、総、文、◎厚、経) on line 300 and the legend ■ 文科省、■ 厚労省、■ 経産省、■ 総務省 on line 210
    assert objects(graph, genome, HKG.participatingMinistry) == {
        ID[f"org-{m}"] for m in ("cao", "mic", "mext", "mhlw", "meti")
    }
    assert objects(graph, genome, HKG.leadMinistry) == {ID["org-mhlw"]}
    assert {210, 300} <= lines_of(graph, genome)
    assert objects(graph, predecessor, HKG.participatingMinistry) == {
        ID["org-mext"],
        ID["org-mhlw"],
    }  # legend, line 435


def test_links_goals_and_themes(graph: Graph) -> None:
    genome, predecessor = ID["project-genome-data"], ID["project-genome-medicine-1st"]
    assert objects(graph, genome, HKG.extendsTo) == {
        ID["project-pharmaceuticals"],
        ID["project-medical-devices"],
        ID["project-regenerative"],
    }
    assert 248 in lines_of(graph, genome)
    goals = objects(graph, predecessor, HKG.hasAchievementGoal)
    assert sorted(min(lines_of(graph, g)) for g in goals) == [441, 442, 443, 444]
    assert {graph.value(g, HKG.targetYear).toPython() for g in goals} == {2020}
    themes = sorted(objects(graph, genome, HKG.hasPriorityTheme), key=lambda t: min(lines_of(graph, t)))
    assert [min(lines_of(graph, t)) for t in themes] == [310, 311]
    assert str(graph.value(themes[0], RDFS.label)).startswith("全ゲノム解析を活用したがんの新規原因遺伝子")


def test_predecessor_and_program_lineage(graph: Graph, extract: DocumentExtract) -> None:
    # the 平成31年度 project (line 313) shares programs with the 令和2年度 one (line 200)
    assert (ID["project-genome-data"], HKG.successorOf, ID["project-genome-medicine-1st"]) in graph
    # one FY2020 group line (255) for two programs each with its own FY2019 line (352, 359)
    members = {program_iri("ゲノム診断支援システム整備事業"), program_iri("NCにおける治験・臨床研究推進事業")}
    group = group_iri(members)  # a group is named by its members, whichever document lists them
    assert (group, PROV.wasDerivedFrom, URIRef(f"{document_iri(extract)}#L255-L256")) in graph
    assert objects(graph, group, HKG.hasMember) == members
    assert objects(graph, group, HKG.successorOf) == members
    # the program renamed with a qualifier keeps one identity across years
    platform = program_iri("ゲノム医療実現推進プラットフォーム事業")
    years = {graph.value(a, HKG.fiscalYearNumber).toPython() for a in graph.subjects(HKG.forScheme, platform)}
    assert years == {2019, 2020}


def test_program_group_members(graph: Graph, extract: DocumentExtract) -> None:
    group = next(g for g in graph.subjects(PROV.wasDerivedFrom, URIRef(f"{document_iri(extract)}#L224"))
                 if (g, RDF.type, HKG.ProgramGroup) in graph)
    members = objects(graph, group, HKG.hasMember)
    assert len(members) == 10 and all((m, RDF.type, HKG.Program) in graph for m in members)
    assert group == group_iri(members)
    allocation = next(graph.subjects(HKG.forScheme, group))
    assert graph.value(allocation, HKG.amountYen).toPython() == 2_000_000_000  # 予算額20億円 for the ten


def test_infrastructure_built_and_promoted(graph: Graph) -> None:
    builds = {(s, o) for s, o in graph.subject_objects(HKG.buildsInfrastructure)}
    assert (program_iri("臨床ゲノム情報統合データベース整備事業"), ID["infra-integrated-database"]) in builds
    assert (program_iri("ゲノム医療実現推進プラットフォーム事業"), ID["infra-biobank-cross-search"]) in builds  # l.234
    assert (program_iri("東北メディカル・メガバンク計画"), ID["infra-tohoku-medical-megabank"]) in builds
    assert (program_iri("ナショナルバイオリソースプロジェクト"), ID["infra-nbrp"]) in builds
    promotes = {(s, o) for s, o in graph.subject_objects(HKG.promotesUseOf)}
    assert (program_iri("ゲノム研究バイオバンク事業"), ID["infra-biobank-japan"]) in promotes  # …の利活用の促進
    assert (program_iri("ゲノム研究バイオバンク事業"), ID["infra-biobank-japan"]) not in builds
    # 横断検索システムによる連携 (heading 238) over the biobanks listed below it
    assert objects(graph, ID["infra-biobank-cross-search"], HKG.connects) == {
        ID["infra-tohoku-medical-megabank"],
        ID["infra-biobank-japan"],
        ID["infra-ncbn"],
    }
    named = {o for _, o in graph.subject_objects(HKG.namesInfrastructure)}
    assert ID["infra-data-sharing-platform"] in named  # データ共有プラットフォーム(クラウド等), line 246


def test_disease_area_mentions_with_lines(graph: Graph) -> None:
    dementia = program_iri("認知症研究開発事業")
    assert (dementia, HKG.mentionsDiseaseArea, ID["disease-geriatrics-dementia"]) in graph
    mentions = [m for m in graph.subjects(HKG.mentionIn, dementia) if graph.value(m, HKG.mentionedConcept)]
    assert {min(lines_of(graph, m)) for m in mentions} == {219, 387}
    lifestyle = program_iri("循環器疾患・糖尿病等生活習慣病対策実用化研究事業")  # a member of the group on line 224
    assert (lifestyle, HKG.mentionsDiseaseArea, ID["disease-lifestyle"]) in graph
    # "細胞のがん化過程" (line 302) counts as a mention of cancer in the project's description
    cancer_lines = {min(lines_of(graph, m)) for m in graph.subjects(HKG.mentionedConcept, ID["disease-cancer"])}
    assert 302 in cancer_lines
    # 神経・筋難病 (goal, line 444) is one mention of its own concept, not also of 難病
    goal_444 = [m for m in graph.subjects(RDF.type, HKG.ConceptMention) if lines_of(graph, m) == {444}]
    assert {graph.value(m, HKG.mentionedConcept) for m in goal_444} >= {ID["disease-psychiatric-neurological"]}
    assert ID["disease-intractable"] not in {graph.value(m, HKG.mentionedConcept) for m in goal_444}


def test_every_repair_is_in_the_store(seed_store: Path, extract: DocumentExtract) -> None:
    query = """
        PREFIX hkg: <https://w3id.org/healthkg/ontology#>
        SELECT ?line ?original ?repaired (GROUP_CONCAT(?note; separator=" | ") AS ?notes) WHERE {
          ?where hkg:repairNote ?note ; hkg:lineNumber ?line ; hkg:sourceText ?original ; hkg:repairedText ?repaired }
        GROUP BY ?line ?original ?repaired ORDER BY ?line"""
    rows = LocalBackend(open_store(seed_store)).select(query)["results"]["bindings"]
    assert [int(r["line"]["value"]) for r in rows] == sorted({r.line for r in extract.repairs})
    by_line = {int(r["line"]["value"]): r for r in rows}
    assert (by_line[163]["original"]["value"], by_line[163]["repaired"]["value"]) == ("#### 育成", "#### 成育")
    assert "AMED" in by_line[91]["notes"]["value"] and "AMEDI" not in by_line[91]["repaired"]["value"]
    assert "National Cancer Institute" in by_line[359]["notes"]["value"]  # NCI→NC, the National Centers
    assert "俯瞰ふかん" in by_line[289]["original"]["value"] and "ふかん" not in by_line[289]["repaired"]["value"]


def test_every_extracted_node_points_at_a_line(graph: Graph) -> None:
    minted = [
        s
        for s in set(graph.subjects(RDF.type, None))
        if str(s).startswith(str(ID))
        and any(f"/{kind}/" in str(s) for kind in ("goal", "theme", "policy", "mention", "allocation", "group"))
    ]
    assert minted
    assert all(lines_of(graph, node) for node in minted)
