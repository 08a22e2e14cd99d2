"""What a researcher sees in headless Chromium: the search, the projects of both periods, a program's budget
chart, the explorer's domain view and legend, share links of the query UI, the language switch.

Expected values come from the seed store by SPARQL (or the named queries run on it), never from the pages.
One server and one browser serve the whole session (conftest); each test leaves the browser in Japanese.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from healthkg.engine.backends import LocalBackend
from healthkg.engine.store import open_store
from healthkg.queries.catalogue import catalogue
from healthkg.queries.entities import EntityResolver

pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).parent / "artifacts"
HKG = "https://w3id.org/healthkg/ontology#"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
GENOME = "https://w3id.org/healthkg/id/project-genome-data"
BOOKKEEPING = ("SourceLocation", "CuratedFact", "CuratedSource", "ConceptMention", "PolicyDocument", "BudgetFigure")


def severe(driver: WebDriver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def until(driver: WebDriver, check: Any, name: str, seconds: float = 30) -> Any:
    try:
        return WebDriverWait(driver, seconds).until(check)
    except TimeoutException:
        driver.save_screenshot(str(ARTIFACTS / f"{name}-timeout.png"))
        raise


@pytest.fixture(scope="module")
def store(seed_store: Path) -> LocalBackend:
    return LocalBackend(open_store(seed_store))


def rows(store: LocalBackend, query: str) -> list[dict[str, str]]:
    return [{k: v["value"] for k, v in row.items()} for row in store.select(query)["results"]["bindings"]]


def named(store: LocalBackend, name: str, **params: str) -> list[dict[str, str]]:
    return rows(store, catalogue()[name].render(params, EntityResolver(store)))


def program_named(store: LocalBackend, label: str) -> str:
    (row,) = rows(store, f'SELECT ?p WHERE {{ ?p a <{HKG}Program> ; <{RDFS_LABEL}> "{label}"@ja }}')
    return row["p"]


@pytest.fixture
def page(browser: WebDriver, live_server: Any) -> Iterator[WebDriver]:
    """The shared browser, its console log emptied first; no severe console error may be left afterwards."""
    browser.get_log("browser")
    yield browser
    assert severe(browser) == []


CANCER_PROGRAM = "革新的がん医療実用化研究事業"
DEMENTIA_PROGRAM = "認知症研究開発事業"


@pytest.mark.parametrize(("typed", "expected"), [("がん", CANCER_PROGRAM), ("cancer", CANCER_PROGRAM),
                                                  ("にんちしょう", DEMENTIA_PROGRAM)])
def test_the_search_on_the_front_door_finds_programs_in_japanese_english_and_kana(page, live_server, store,
                                                                                 typed, expected) -> None:
    iri = program_named(store, expected)  # the program is in the graph under that name
    page.get(live_server.url + "/")
    box = until(page, lambda d: d.find_element(By.ID, "search-input"), "search")
    box.clear()
    box.send_keys(typed)
    until(page, lambda d: d.find_element(By.ID, "search-results").get_attribute("data-query") == typed, "search")
    hits = page.find_elements(By.CSS_SELECTOR, "#search-results li.search-hit")
    found = {hit.find_element(By.TAG_NAME, "a").text: hit.find_element(By.TAG_NAME, "a").get_attribute("href")
             for hit in hits}
    assert expected in found, (typed, list(found))
    assert urllib.parse.urlsplit(found[expected]).path == "/id/" + iri.split("/id/", 1)[1]
    kinds = {hit.find_element(By.CSS_SELECTOR, ".kind").text for hit in hits}
    assert any(kind.startswith("事業") for kind in kinds)  # results are typed


def test_the_front_door_lists_the_integrated_projects_of_both_plan_periods(page, live_server, store) -> None:
    projects = rows(store, f"""SELECT ?p ?n WHERE {{ ?p a <{HKG}IntegratedProject> ;
                                 <{HKG}inPeriod>/<{HKG}periodNumber> ?n }}""")
    page.get(live_server.url + "/")
    for period in ("2", "3"):
        shown = {row.get_attribute("data-project") for row in
                 page.find_elements(By.CSS_SELECTOR, f'.period[data-period="{period}"] tr.project')}
        assert shown == {row["p"] for row in projects if row["n"] == period} and len(shown) >= 6
    names = page.find_element(By.ID, "project-lists").text
    assert "ゲノム・データ基盤プロジェクト" in names and "データ利活用・ライフコースプロジェクト" in names
    heatmap = until(page, lambda d: d.find_element(By.CSS_SELECTOR, "#coverage-chart[data-drawn]"), "coverage")
    assert heatmap.find_elements(By.CSS_SELECTOR, "canvas") and heatmap.find_elements(By.CSS_SELECTOR, ".chart-data")


def test_a_program_page_draws_its_budget_chart_with_one_point_per_fiscal_year(page, live_server, store) -> None:
    iri = program_named(store, CANCER_PROGRAM)
    years = sorted({int(row["fiscal_year"]) for row in named(store, "program-budget-series", program=iri)})
    assert len(years) >= 8  # FY2015 onwards
    page.get(live_server.url + "/id/" + iri.split("/id/", 1)[1])
    until(page, lambda d: d.find_element(By.CSS_SELECTOR, "#budget-chart[data-drawn]"), "program-chart")
    axis = page.execute_script("return window.healthkgCharts['budget-chart'].getOption().xAxis[0].data")
    assert axis == [f"FY{year}" for year in years]
    whole = page.execute_script(
        "return window.healthkgCharts['budget-chart'].getOption().series.filter(s => s.type === 'line')[0].data")
    assert len(whole) == len(years)
    table = page.find_element(By.CSS_SELECTOR, "#budget-chart .chart-data").text
    assert f"FY{years[0]}" in table and f"FY{years[-1]}" in table and "億円" in table
    link = page.find_element(By.CSS_SELECTOR, "#budget-chart .chart-links a[href*='program-budget-series']")
    assert link.get_attribute("href")
    assert page.find_element(By.ID, "entity-kind").text == "事業"
    spark = page.find_element(By.CSS_SELECTOR, "svg.sparkline")
    assert spark.get_attribute("data-years").split()[0] == str(years[0])
    # provenance is folded, one click away
    summary = page.find_element(By.CSS_SELECTOR, "#provenance-details summary")
    assert not page.find_element(By.CSS_SELECTOR, "#provenance-details ul.provenance").is_displayed()
    summary.click()
    assert page.find_element(By.CSS_SELECTOR, "#provenance-details ul.provenance").is_displayed()
    page.save_screenshot(str(ARTIFACTS / "program-chart.png"))


def test_a_budget_line_is_titled_by_its_year_program_and_project(page, live_server, store, seed_allocation) -> None:
    line = seed_allocation(217)
    (row,) = rows(store, f"""SELECT ?year ?program ?project WHERE {{ <{line}> <{HKG}fiscalYearNumber> ?year ;
        <{HKG}forScheme>/<{RDFS_LABEL}> ?program ; <{HKG}inProject>/<{RDFS_LABEL}> ?project .
        FILTER(lang(?program) = "ja" && lang(?project) = "ja") }}""")
    page.get(live_server.url + "/id/" + line.split("/id/", 1)[1])
    title = page.find_element(By.ID, "entity-title").text
    assert row["year"] in title and row["program"] in title and row["project"] in title
    assert "億円" in page.find_element(By.ID, "figure-amount").text


def test_the_explorer_opens_on_the_domain_with_a_legend_and_no_provenance(page, live_server, store) -> None:
    page.get(f"{live_server.url}/explore?iri={GENOME}")
    until(page, lambda d: d.execute_script("return window.healthkgExplorer && window.healthkgExplorer.loads >= 1"),
          "explorer-domain")
    shown = page.execute_script("return window.healthkgExplorer.cy.nodes().map(n => n.id())")
    assert len(shown) > 20
    values = " ".join(f"<{iri}>" for iri in shown)
    bookkeeping = rows(store, f"""SELECT DISTINCT ?n WHERE {{ VALUES ?n {{ {values} }} ?n a ?t .
        ?t <http://www.w3.org/2000/01/rdf-schema#subClassOf>* ?k .
        VALUES ?k {{ {" ".join(f"<{HKG}{k}>" for k in BOOKKEEPING)} }} }}""")
    assert bookkeeping == []
    legend = page.find_elements(By.CSS_SELECTOR, "#explorer-legend li")
    assert len(legend) >= 4 and all(item.is_displayed() for item in legend)
    assert any(item.get_attribute("data-kind") == "Program" for item in legend)
    page.save_screenshot(str(ARTIFACTS / "explorer-domain.png"))


def test_a_shared_query_link_restores_the_query_and_result_iris_open_this_servers_pages(page, live_server) -> None:
    query = ("PREFIX hkg: <https://w3id.org/healthkg/ontology#>\nSELECT ?project WHERE { "
             "?project a hkg:IntegratedProject } ORDER BY ?project")
    page.get(f"{live_server.url}/ui#" + urllib.parse.urlencode({"query": query, "tabTitle": "shared-projects"}))
    until(page, lambda d: d.execute_script("return !!(window.healthkgYasgui && window.healthkgYasgui.getTab())"), "ui")
    active = page.execute_script("const t = window.healthkgYasgui.getTab(); return [t.getName(), t.getQuery()]")
    assert active == ["shared-projects", query]
    page.find_element(By.CSS_SELECTOR, ".tabPanel.active .yasqe_queryButton").click()
    until(page, lambda d: d.find_elements(By.CSS_SELECTOR, ".tabPanel.active .yasr table tbody tr"), "ui-shared")
    links = [a.get_attribute("href") for a in page.find_elements(By.CSS_SELECTOR, ".tabPanel.active .yasr a[href]")]
    assert links and all(urllib.parse.urlsplit(h).path.startswith("/id/project-") for h in links
                         if "project" in h)
    assert not [h for h in links if h.startswith("https://w3id.org/healthkg/")]
    # the Share button makes a link that opens the same query
    page.find_element(By.ID, "share-query").click()
    shared = page.find_element(By.ID, "share-link").get_attribute("value")
    page.get("about:blank")
    page.get(shared)
    until(page, lambda d: d.execute_script("return !!(window.healthkgYasgui && window.healthkgYasgui.getTab())"), "ui")
    assert page.execute_script("return window.healthkgYasgui.getTab().getQuery()") == query


def test_the_language_switch_changes_every_page_and_is_remembered(page, live_server) -> None:
    try:
        page.get(live_server.url + "/")
        page.find_element(By.CSS_SELECTOR, 'nav.language a[data-lang="en"]').click()
        until(page, lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en", "lang")
        assert "Integrated projects" in page.find_element(By.ID, "projects").text
        page.get(f"{live_server.url}/id/project-genome-data")  # another page, no parameter: the cookie remembers
        assert page.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
        assert page.find_element(By.ID, "entity-title").text.startswith("Health and Clinical Data Project")
        assert page.find_element(By.ID, "entity-kind").text == "Integrated project"
    finally:
        page.get(live_server.url + "/lang/ja?next=/")
    assert page.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ja"


def test_the_sparql_endpoint_opened_in_a_browser_shows_the_query_ui(page, live_server) -> None:
    page.get(live_server.url + "/sparql")
    until(page, lambda d: d.find_elements(By.CSS_SELECTOR, ".tabsList .tab"), "sparql-ui")
    assert urllib.parse.urlsplit(page.current_url).path == "/ui"


def test_the_search_page_works_without_script(live_server) -> None:
    import urllib.request

    with urllib.request.urlopen(f"{live_server.url}/search?q=" + urllib.parse.quote("にんちしょう"), timeout=30) as r:
        text = r.read().decode("utf-8")
    assert DEMENTIA_PROGRAM in text
    with urllib.request.urlopen(f"{live_server.url}/search.json?q=AMED", timeout=30) as r:
        data = json.load(r)
    assert data["results"] and data["results"][0]["iri"].endswith("/org-amed")


def test_a_result_iri_that_is_not_a_web_address_is_shown_but_never_a_link_in_the_query_ui(page, live_server) -> None:
    query = "SELECT ?x WHERE { VALUES ?x { <javascript:alert(1)> <https://example.org/fine> } }"
    page.get(f"{live_server.url}/ui#" + urllib.parse.urlencode({"query": query, "tabTitle": "hostile"}))
    until(page, lambda d: d.execute_script("return !!(window.healthkgYasgui && window.healthkgYasgui.getTab())"),
          "ui-hostile")
    page.find_element(By.CSS_SELECTOR, ".tabPanel.active .yasqe_queryButton").click()
    until(page, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".tabPanel.active .yasr table tbody tr")) == 2,
          "ui-hostile")
    table = page.find_element(By.CSS_SELECTOR, ".tabPanel.active .yasr table")
    assert "javascript:alert(1)" in table.text
    hrefs = [a.get_attribute("href") or "" for a in table.find_elements(By.CSS_SELECTOR, "a")]
    assert "https://example.org/fine" in hrefs
    assert not [h for h in hrefs if h.lower().startswith("javascript:")]
