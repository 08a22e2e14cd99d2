"""Shared fixtures: the seed built once per session, and a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from healthkg.cli.pipeline import BuildReport, build, bundled_documents

DATA = Path(__file__).parent / "data"
OXIGRAPH = Path(sys.executable).with_name("oxigraph")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


BUILD_SECONDS: dict[str, float] = {}


@pytest.fixture(scope="session")
def seed_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BuildReport]:
    store = tmp_path_factory.mktemp("seed") / "store"
    start = time.monotonic()
    with ExitStack() as stack:
        report = build(bundled_documents(stack), store)
    BUILD_SECONDS["seed"] = time.monotonic() - start
    return store, report


@pytest.fixture(scope="session")
def seed_build_seconds(seed_build: tuple[Path, BuildReport]) -> float:
    """Wall-clock seconds the session's default build took (documents to a written store)."""
    return BUILD_SECONDS["seed"]


@pytest.fixture(scope="session")
def seed_store(seed_build: tuple[Path, BuildReport]) -> Path:
    """Path of a store built from the bundled documents (read-only: do not modify)."""
    return seed_build[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


HEALTHKG = Path(sys.executable).parent / "healthkg"


@dataclass
class LiveServer:
    url: str
    log: Path  # what the server wrote to stdout and stderr (access log, errors)
    pid: int

    @property
    def sparql(self) -> str:
        return f"{self.url}/sparql"

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def _ready(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/healthz")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def serve_in_process(config: Mapping[str, Any], log: Path, workers: int | None = None) -> Iterator[LiveServer]:
    """``healthkg serve`` in a process of its own, as users run it, until the generator is closed.

    ``config`` holds the app's settings (``STORE_PATH`` and any other), passed as
    ``HEALTHKG_<NAME>`` variables in JSON, as the server reads them.
    """
    settings = dict(config)
    store = settings.pop("STORE_PATH")
    env = {name: value for name, value in os.environ.items() if not name.startswith("HEALTHKG_")}
    env.update({f"HEALTHKG_{name}": json.dumps(value, default=str) for name, value in settings.items()})
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(HEALTHKG), "serve", "--store", str(store), "--host", "127.0.0.1", "--port", str(port),
             *(["--workers", str(workers)] if workers else [])],
            stdout=out, stderr=subprocess.STDOUT, env=env,
        )
    try:
        deadline = time.monotonic() + 60
        while not _ready(port):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"healthkg serve did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.05)
        yield LiveServer(f"http://127.0.0.1:{port}", log, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@pytest.fixture(scope="session")
def live_server(seed_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The default settings over the seed store, served for real on 127.0.0.1."""
    yield from serve_in_process({"STORE_PATH": seed_store}, tmp_path_factory.mktemp("live") / "server.log")


def _servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., LiveServer]]:
    """A starter of servers with any settings; every server it started stops when the fixture ends."""
    running: list[Iterator[LiveServer]] = []

    def start(config: Mapping[str, Any], workers: int | None = None) -> LiveServer:
        server = serve_in_process(config, tmp_path_factory.mktemp("server") / "server.log", workers)
        running.append(server)
        return next(server)

    yield start
    for server in running:
        server.close()  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def serve_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., LiveServer]]:
    """Like ``serve_app``, for servers that the tests of one module share."""
    yield from _servers(tmp_path_factory)


@pytest.fixture
def serve_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., LiveServer]]:
    """Serve a store with any settings on 127.0.0.1 for one test; every server stops afterwards."""
    yield from _servers(tmp_path_factory)


class HttpClient:
    """Raw HTTP on 127.0.0.1, so error statuses, headers and bodies come back exactly as sent."""

    def request(self, url: str, method: str = "GET", body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, http.client.HTTPMessage, bytes]:
        parts = urlsplit(url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        try:
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.headers, response.read()
        finally:
            connection.close()


@pytest.fixture(scope="session")
def labelled_programs(seed_store: Path) -> list[str]:
    """IRIs of the seed's programs that have a label (the first 12 in IRI order)."""
    from healthkg.engine.backends import LocalBackend
    from healthkg.engine.store import open_store

    rows = LocalBackend(open_store(seed_store)).select(
        "SELECT DISTINCT ?p WHERE { ?p a <https://w3id.org/healthkg/ontology#Program> ; "
        "<http://www.w3.org/2000/01/rdf-schema#label> ?l } ORDER BY ?p LIMIT 12")
    return [row["p"]["value"] for row in rows["results"]["bindings"]]


@pytest.fixture(scope="session")
def http_client() -> HttpClient:
    """One raw-HTTP helper for every protocol test (test modules cannot import each other)."""
    return HttpClient()


CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One headless Chromium (Debian's, via chromedriver) for every page test; console logs kept.

    The flags keep it off the network it cannot reach here (background updates, sync).
    """
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    if not (CHROMIUM.is_file() and CHROMEDRIVER.is_file()):
        pytest.fail("headless Chromium is not installed: run `make browser` (Debian chromium, chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for option in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                   "--disable-background-networking", "--disable-component-update", "--disable-sync",
                   "--window-size=1280,1400"):
        options.add_argument(option)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()


EXPLORER_NEIGHBOURS = """
PREFIX hkg: <https://w3id.org/healthkg/ontology#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
SELECT DISTINCT ?n WHERE {{
  {{ <{iri}> ?p ?n }} UNION {{ ?n ?p <{iri}> }}
  FILTER(isIRI(?n) && ?p != rdf:type)
  FILTER EXISTS {{ ?n a ?anyClass }}
  FILTER NOT EXISTS {{ ?n a ?x . VALUES ?x {{ hkg:SourceLocation hkg:CuratedFact hkg:CuratedSource }} }}
  {extra}
}}"""


@pytest.fixture(scope="session")
def seed_neighbours(seed_store: Path) -> Callable[..., set[str]]:
    """What the explorer should draw around an IRI, worked out independently by SPARQL on the seed.

    ``extra`` adds a filter on ``?n``; the store is opened once for every caller.
    """
    from healthkg.engine.backends import LocalBackend
    from healthkg.engine.store import open_store

    backend = LocalBackend(open_store(seed_store))

    def neighbours(iri: str, extra: str = "") -> set[str]:
        results = backend.select(EXPLORER_NEIGHBOURS.format(iri=iri, extra=extra))
        return {b["n"]["value"] for b in results["results"]["bindings"]}

    return neighbours


@pytest.fixture(scope="session")
def seed_allocation(seed_store: Path) -> Callable[[int], str]:
    """The IRI of the seed's budget line read from a given line (budget lines are named by content, not line)."""
    from healthkg.engine.backends import LocalBackend
    from healthkg.engine.store import open_store

    backend = LocalBackend(open_store(seed_store))

    def allocation(line: int) -> str:
        rows = backend.select(
            "PREFIX hkg: <https://w3id.org/healthkg/ontology#> PREFIX prov: <http://www.w3.org/ns/prov#> "
            "SELECT ?a WHERE { ?a a hkg:BudgetAllocation ; prov:wasDerivedFrom ?where . "
            f"?where hkg:lineNumber {line:d} }}")["results"]["bindings"]
        (found,) = {row["a"]["value"] for row in rows}
        return found

    return allocation


@pytest.fixture(scope="session")
def extract(data_dir: Path) -> Path:
    """A MONDO extract (labels of the terms the disease areas map to), for a second SPARQL endpoint."""
    return data_dir / "federation" / "mondo-extract.ttl"


@pytest.fixture(scope="session")
def mondo_endpoint(extract: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``oxigraph serve-read-only`` on a free loopback port, loaded with the extract."""
    location = tmp_path_factory.mktemp("mondo") / "db"
    subprocess.run([str(OXIGRAPH), "load", "--location", str(location), "--file", str(extract)],
                   check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen([str(OXIGRAPH), "serve-read-only", "--location", str(location),
                               "--bind", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"oxigraph server did not start: {server.stderr.read() if server.stderr else ''}")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/query"
    finally:
        server.terminate()
        server.wait(timeout=10)
