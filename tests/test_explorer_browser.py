"""The explorer and the ontology diagram in headless Chromium: they draw without console errors,
show as many nodes as the graph says, and a real click on a node expands it.

Needs Debian's chromium and chromium-driver (``make browser``) and Cytoscape.js (``make vendor``);
screenshots are kept under tests/artifacts/.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from healthkg.engine.backends import LocalBackend
from healthkg.engine.store import open_store

pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).parent / "artifacts"
# Where `make vendor` installs the front-end libraries the server serves (the default VENDOR_DIR).
VENDOR = Path(str(resources.files("healthkg.server.pages").joinpath("static", "vendor")))
ID = "https://w3id.org/healthkg/id/"
GENOME = ID + "project-genome-data"
# The page opens on the domain view (issue 12): what the strategy is about, no figures or provenance.
DOMAIN = """FILTER EXISTS {
  VALUES ?d { hkg:IntegratedProject hkg:Program hkg:ProgramGroup hkg:Plan hkg:Organization hkg:DiseaseArea
              hkg:DevelopmentPurpose hkg:ResearchInfrastructure }
  ?n a ?t . ?t <http://www.w3.org/2000/01/rdf-schema#subClassOf>* ?d }
FILTER NOT EXISTS { ?n a hkg:OrganizationalUnit }"""


def severe(driver: WebDriver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def wait(driver: WebDriver, script: str, name: str, seconds: float = 30) -> Any:
    try:
        return WebDriverWait(driver, seconds).until(lambda d: d.execute_script(script))
    except Exception:
        driver.save_screenshot(str(ARTIFACTS / f"{name}-timeout.png"))
        raise


def test_explorer_draws_the_neighbourhood_and_a_click_expands_it(browser, live_server, seed_neighbours) -> None:  # type: ignore[no-untyped-def]
    vendor = VENDOR / "cytoscape" / "cytoscape.min.js"
    assert vendor.is_file(), "Cytoscape.js is not installed: run `make vendor`"
    first = seed_neighbours(GENOME, DOMAIN) | {GENOME}
    browser.get(f"{live_server.url}/explore?iri={GENOME}")
    wait(browser, "return window.healthkgExplorer && window.healthkgExplorer.loads >= 1", "explorer")
    shown = set(browser.execute_script("return window.healthkgExplorer.cy.nodes().map(n => n.id())"))
    assert shown == first
    assert severe(browser) == []

    # Click (a real mouse click on the canvas) a program that has neighbours not yet shown.
    program = next(n for n in sorted(first) if "/program/" in n and seed_neighbours(n, DOMAIN) - first)
    expected = first | seed_neighbours(program, DOMAIN) | {program}
    x, y = browser.execute_script("""
        const cy = window.healthkgExplorer.cy, node = cy.getElementById(arguments[0]);
        const box = cy.elements().boundingBox();
        node.position({x: box.x2 + 120, y: (box.y1 + box.y2) / 2});
        cy.fit(undefined, 40);
        const p = node.renderedPosition();
        return [p.x, p.y];""", program)
    canvas = browser.find_element(By.ID, "explorer")
    ActionChains(browser).move_to_element_with_offset(
        canvas, int(x - canvas.size["width"] / 2), int(y - canvas.size["height"] / 2)).click().perform()
    wait(browser, "return window.healthkgExplorer.loads >= 2", "explorer-click")
    shown = set(browser.execute_script("return window.healthkgExplorer.cy.nodes().map(n => n.id())"))
    assert shown == expected and len(shown) > len(first)
    assert severe(browser) == []
    browser.save_screenshot(str(ARTIFACTS / "explorer.png"))


def test_ontology_diagram_draws_every_class(browser, live_server, seed_store) -> None:  # type: ignore[no-untyped-def]
    classes = LocalBackend(open_store(seed_store)).select(
        "PREFIX owl: <http://www.w3.org/2002/07/owl#> SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { "
        "GRAPH <https://w3id.org/healthkg/graph/ontology> { ?c a owl:Class "
        "FILTER(STRSTARTS(STR(?c), \"https://w3id.org/healthkg/ontology#\")) } }")
    expected = int(classes["results"]["bindings"][0]["n"]["value"])
    browser.get(f"{live_server.url}/ontology/diagram")
    wait(browser, "return window.healthkgDiagram && window.healthkgDiagram.ready", "diagram")
    assert browser.execute_script("return window.healthkgDiagram.cy.nodes().length") == expected > 20
    assert browser.execute_script("return window.healthkgDiagram.cy.edges('[kind = \"object\"]').length") > 10
    assert severe(browser) == []
    browser.save_screenshot(str(ARTIFACTS / "diagram.png"))
