"""``make screenshots``: a PNG of each kind of page, as headless Chromium shows it, for people to review.

Serves the built store (``--store``, default ``$HEALTHKG_STORE`` or ``var/store``) with ``healthkg serve``
on a free loopback port, picks one entity of each kind by asking the server's own endpoint (the program,
project, ministry and disease area with the most to show, the largest budget line), waits until each
page has drawn (charts, graphs, YASGUI's results) and writes ``<out>/<name>.png`` (default
``var/screenshots``), whole pages up to ``--max-height`` pixels. Not a test: nothing is asserted here;
the browser tests assert what a user sees.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

HKG = "https://w3id.org/healthkg/ontology#"
PICKS = {
    "program": f"""SELECT ?e (COUNT(DISTINCT ?f) AS ?n) WHERE {{ ?e a <{HKG}Program> . ?f <{HKG}budgetOf> ?e }}
                   GROUP BY ?e ORDER BY DESC(?n) ?e LIMIT 1""",
    "project": f"""SELECT ?e (COUNT(DISTINCT ?p) AS ?n) WHERE {{ ?e a <{HKG}IntegratedProject> .
                   ?p <{HKG}partOfProject> ?e }} GROUP BY ?e ORDER BY DESC(?n) ?e LIMIT 1""",
    "ministry": f"""SELECT ?e (COUNT(DISTINCT ?p) AS ?n) WHERE {{ ?e a <{HKG}Ministry> .
                    ?p <{HKG}administeredBy> ?e }} GROUP BY ?e ORDER BY DESC(?n) ?e LIMIT 1""",
    "disease-area": f"""SELECT ?e (COUNT(DISTINCT ?p) AS ?n) WHERE {{ ?e a <{HKG}DiseaseArea> .
                        ?p <{HKG}concernsDiseaseArea> ?e }} GROUP BY ?e ORDER BY DESC(?n) ?e LIMIT 1""",
    "budget-line": f"""SELECT ?e WHERE {{ ?e a <{HKG}BudgetAllocation> ; <{HKG}amountYen> ?a }}
                       ORDER BY DESC(?a) ?e LIMIT 1""",
    "fiscal-year": f"""SELECT ?e (COUNT(DISTINCT ?f) AS ?n) WHERE {{ ?f <{HKG}fiscalYear> ?e ; <{HKG}amountYen> ?a }}
                       GROUP BY ?e ORDER BY DESC(?n) ?e LIMIT 1""",
}
# What each page has drawn when it is ready to be photographed (a script returning true).
READY = {
    "chart": "return [...document.querySelectorAll('figure.chart')].every(f => f.dataset.drawn)",
    "explorer": "return window.healthkgExplorer && window.healthkgExplorer.loads >= 1",
    "diagram": "return window.healthkgDiagram && window.healthkgDiagram.ready",
    "ui": "return !!document.querySelector('.tabPanel.active .yasr table tbody tr')",
    "page": "return document.readyState === 'complete'",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pick(base: str, query: str) -> str:
    request = urllib.request.Request(f"{base}/sparql?{urllib.parse.urlencode({'query': query})}",
                                     headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return str(json.load(response)["results"]["bindings"][0]["e"]["value"])


def page_path(iri: str) -> str:
    return "/id/" + iri.split("/id/", 1)[1] if "/id/" in iri else "/resource?" + urllib.parse.urlencode({"iri": iri})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default=os.environ.get("HEALTHKG_STORE", "var/store"))
    parser.add_argument("--out", default="var/screenshots")
    parser.add_argument("--lang", choices=("ja", "en"), default="ja")
    parser.add_argument("--max-height", type=int, default=5000)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    server = subprocess.Popen([str(Path(sys.executable).with_name("healthkg")), "serve", "--store", args.store,
                               "--host", "127.0.0.1", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for option in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                   "--disable-background-networking", "--disable-component-update", "--disable-sync",
                   "--window-size=1280,900", "--hide-scrollbars"):
        options.add_argument(option)
    driver = None
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2).close()
                break
            except OSError:
                time.sleep(0.25)
        entities = {kind: page_path(pick(base, query)) for kind, query in PICKS.items()}
        pages = [("landing", "/", "chart"), *((kind, path, "chart") for kind, path in entities.items()),
                 ("explorer", f"/explore?iri={urllib.parse.quote(pick(base, PICKS['project']))}", "explorer"),
                 ("ontology-diagram", "/ontology/diagram", "diagram"), ("ui", "/ui", "ui"), ("api", "/api/", "page")]
        driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
        driver.get(f"{base}/lang/{args.lang}")
        for name, path, ready in pages:
            driver.set_window_size(1280, 900)
            driver.get(base + path)
            if name == "ui":
                WebDriverWait(driver, 30).until(lambda d: d.find_elements("css selector", ".yasqe_queryButton"))
                driver.find_element("css selector", ".tabPanel.active .yasqe_queryButton").click()
            try:
                WebDriverWait(driver, 30).until(lambda d, script=READY[ready]: d.execute_script(script))
            except Exception:  # noqa: BLE001 - a page that never got ready is photographed as it is, for review
                print(f"{name}: not ready after 30 s", file=sys.stderr)
            time.sleep(0.5)
            height = driver.execute_script("return document.documentElement.scrollHeight")
            if ready not in ("explorer", "diagram", "ui"):
                driver.set_window_size(1280, min(int(height), args.max_height))
                time.sleep(0.3)
            target = out / f"{name}.png"
            driver.save_screenshot(str(target))
            print(f"{target}  {path}  (page {height} px tall)")
    finally:
        if driver is not None:
            driver.quit()
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
