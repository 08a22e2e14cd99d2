"""The pages in headless Chromium: YASGUI loads offline, runs a query on /sparql and shows its rows.

Needs Debian's chromium and chromium-driver (``make browser`` installs them) and the
YASGUI build (``make vendor``); screenshots are kept under tests/artifacts/.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from healthkg.engine.backends import LocalBackend
from healthkg.engine.store import open_store
from healthkg.ontology import BASE, HKG
from healthkg.queries.catalogue import catalogue
from healthkg.queries.entities import EntityResolver
from healthkg.server.api import example_args
from healthkg.server.pages.landing import EXAMPLE_TABS

pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).parent / "artifacts"
# Where `make vendor` installs the front-end libraries the server serves (the default VENDOR_DIR).
VENDOR = Path(str(resources.files("healthkg.server.pages").joinpath("static", "vendor")))


def console_errors(driver: WebDriver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def wait_for(driver: WebDriver, css: str, seconds: float = 20):
    try:
        return WebDriverWait(driver, seconds).until(lambda d: d.find_elements(By.CSS_SELECTOR, css))
    except TimeoutException:
        ARTIFACTS.mkdir(exist_ok=True)
        driver.save_screenshot(str(ARTIFACTS / "timeout.png"))
        raise


def test_query_ui_loads_yasgui_with_the_named_queries_and_shows_a_querys_rows(browser, live_server, seed_store):
    vendor = VENDOR / "yasgui" / "yasgui.min.js"
    assert vendor.is_file(), "YASGUI is not installed: run `make vendor`"
    browser.get(live_server.url + "/ui")
    tabs = wait_for(browser, ".tabsList .tab")
    # a handful of example tabs (issue 12), every one a named query; the others are listed under the editor
    assert [tab.text.replace("✖", "").strip() for tab in tabs] == list(EXAMPLE_TABS)
    assert set(EXAMPLE_TABS) <= set(catalogue())
    listed = {a.get_attribute("data-name") for a in browser.find_elements(By.CSS_SELECTOR, "#more-queries a")}
    assert listed | set(EXAMPLE_TABS) == set(catalogue())
    next(tab for tab in tabs if tab.text.replace("✖", "").strip() == "budget-lines").click()
    panel = ".tabPanel.active"
    browser.find_element(By.CSS_SELECTOR, f"{panel} .yasqe_queryButton").click()
    wait_for(browser, f"{panel} .yasr table tbody tr")

    store = LocalBackend(open_store(seed_store))
    query = catalogue()["budget-lines"]  # the tab binds the parameters of the header's example call
    expected = store.select(query.render(example_args(query), EntityResolver(store)))["results"]["bindings"]
    chip = browser.find_element(By.CSS_SELECTOR, f"{panel} .yasr_response_chip").text
    assert chip.startswith(f"{len(expected)} results")
    table = browser.find_element(By.CSS_SELECTOR, f"{panel} .yasr table").text
    assert expected[0]["line"]["value"] in table and f'{int(expected[0]["amount_yen"]["value"]):,}' in table
    browser.save_screenshot(str(ARTIFACTS / "query-ui.png"))
    assert console_errors(browser) == []


def test_a_program_page_renders_its_label_and_budget_table(browser, live_server, seed_store):
    store = LocalBackend(open_store(seed_store))
    (row,) = store.select(f"""
        SELECT ?program (SAMPLE(?label) AS ?name) (COUNT(DISTINCT ?line) AS ?n) WHERE {{
          ?line <{HKG.forScheme}> ?program . ?program a <{HKG.Program}> ; <http://www.w3.org/2000/01/rdf-schema#label> ?label }}
        GROUP BY ?program ORDER BY DESC(?n) ?program LIMIT 1""")["results"]["bindings"]
    program = row["program"]["value"]
    browser.get(live_server.url + "/id/" + program[len(BASE + "id/") :])
    heading = wait_for(browser, "h1")[0].text
    assert row["name"]["value"] in heading
    lines = browser.find_elements(By.CSS_SELECTOR, "#budget-table tbody tr")
    assert len(lines) == int(row["n"]["value"])
    browser.save_screenshot(str(ARTIFACTS / "program-page.png"))
    assert console_errors(browser) == []


def test_the_landing_and_api_pages_work_in_a_browser(browser, live_server):
    browser.get(live_server.url + "/")
    wait_for(browser, "#class-counts tbody tr")
    wait_for(browser, "#coverage-chart[data-drawn]")
    browser.save_screenshot(str(ARTIFACTS / "landing.png"))
    browser.get(live_server.url + "/api/#budget-lines")
    form = wait_for(browser, "#budget-lines form")[0]
    form.find_element(By.CSS_SELECTOR, "input[name=fiscal_year]").send_keys("2020")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    result = wait_for(browser, "#budget-lines .api-result table tbody tr")
    assert result and all("2020" in row.text for row in result)
    assert console_errors(browser) == []
