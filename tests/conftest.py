"""Shared fixtures: the seed built once per session, and a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask

from healthkg.cli.pipeline import BuildReport, build, bundled_documents

DATA = Path(__file__).parent / "data"


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


@dataclass
class LiveServer:
    url: str
    app: Flask

    @property
    def sparql(self) -> str:
        return f"{self.url}/sparql"


def serve_in_thread(app: Flask, threads: int = 4) -> Iterator[LiveServer]:
    """Run ``app`` under waitress on a free loopback port until the generator is closed."""
    from healthkg.server.wsgi_server import make_server

    port = free_port()
    server = make_server(app, "127.0.0.1", port, threads)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", app)
    finally:
        # Stop the worker threads first (a worker finishing a response pulls the trigger, which
        # fails with EBADF once closed), then close the sockets from the server's own loop thread:
        # closing them from here races with its select(). Either race is an exception in a server
        # thread, which filterwarnings=error turns into a test failure.
        server.task_dispatcher.shutdown()
        try:
            server.trigger.pull_trigger(server.close)
        except OSError:
            # Only closing the server closes its trigger: the loop thread has done it already
            # (seen once in CI, tearing down a server over the Oxigraph backend).
            server.close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def live_server(seed_store: Path) -> Iterator[LiveServer]:
    """The default app over the seed store, served for real on 127.0.0.1."""
    from healthkg.server.app import create_app

    yield from serve_in_thread(create_app({"STORE_PATH": str(seed_store)}))


@pytest.fixture
def serve_app() -> Iterator[Callable[..., LiveServer]]:
    """Serve any app (e.g. over a test store) on 127.0.0.1 for one test; every server stops afterwards."""
    running: list[Iterator[LiveServer]] = []

    def start(app: Flask, threads: int = 4) -> LiveServer:
        server = serve_in_thread(app, threads)
        running.append(server)
        return next(server)

    yield start
    for server in running:
        server.close()  # type: ignore[attr-defined]


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


@dataclass
class Hold:
    """A route, ``/test-hold``, whose requests keep their thread until ``release`` is set."""

    entered: threading.Event
    release: threading.Event


@pytest.fixture
def hold_route() -> Callable[[Flask], Hold]:
    """Add ``/test-hold`` to an app, to keep a request thread busy for as long as a test needs."""

    def add(app: Flask) -> Hold:
        hold = Hold(threading.Event(), threading.Event())

        @app.route("/test-hold")
        def held() -> str:
            hold.entered.set()
            hold.release.wait(20)
            return "held"

        return hold

    return add


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
