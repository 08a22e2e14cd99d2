"""Start and stop the SPARQL servers under comparison, each on 127.0.0.1 with the same data.

Every server is a child process that the kernel kills if the benchmark dies
(PR_SET_PDEATHSIG), and that :meth:`Server.stop` ends by its own pid, so nothing
outlives a run.
"""

from __future__ import annotations

import ctypes
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from healthkg.engine.store import BuildInfo, write_store

BIN = Path(sys.executable).parent
ENGINES = ("healthkg", "healthkg-disk", "oxigraph-disk", "oxigraph-memory", "rdflib-endpoint")
ASK = b"ASK { ?s ?p ?o }"
PR_SET_PDEATHSIG = 1


class EngineStartError(RuntimeError):
    """A server did not come up; the message carries the tail of its log."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    load_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)


def _post(url: str, body: bytes, content_type: str, timeout: float) -> int:
    parts = url.split("/", 3)
    host, port = parts[2].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        connection.request("POST", "/" + parts[3], body=body, headers={"Content-Type": content_type,
                                                                        "Accept": "application/sparql-results+json"})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def _spawn(name: str, command: list[str], query_path: str, workdir: Path, env: dict[str, str] | None = None,
           ready_seconds: float = 900.0) -> Server:
    port = free_port()
    command = [part.replace("{port}", str(port)) for part in command]
    log = workdir / f"{name}.log"
    started = time.perf_counter()
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
                                   preexec_fn=_die_with_parent, cwd=workdir)
    server = Server(name, f"http://127.0.0.1:{port}{query_path}", process, log)
    deadline = time.monotonic() + ready_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EngineStartError(f"{name} exited with {process.returncode}: {log.read_text(errors='replace')[-800:]}")
        try:
            if _post(server.url, ASK, "application/sparql-query", 5) == 200:
                server.load_seconds = round(time.perf_counter() - started, 2)
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.stop()
    raise EngineStartError(f"{name} not ready after {ready_seconds:.0f}s: {log.read_text(errors='replace')[-800:]}")


def healthkg_store(data: Path, workdir: Path) -> tuple[Path, float]:
    """A healthkg store written from the N-Quads as a build writes it (write_store + build.json)."""
    store = workdir / "healthkg-store"
    started = time.perf_counter()
    if not (store / "build.json").is_file():
        info = BuildInfo(built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                         version=f"bench-{data.stem}", graphs={str(data.name): sum(1 for _ in data.open("rb"))})
        write_store(store, data.read_bytes(), info)
    return store, round(time.perf_counter() - started, 2)


def start_healthkg(data: Path, workdir: Path, *, in_memory: bool = True) -> Server:
    store, write_seconds = healthkg_store(data, workdir)
    name = "healthkg" if in_memory else "healthkg-disk"
    server = _spawn(name, [str(BIN / "healthkg"), "serve", "--store", str(store), "--host", "127.0.0.1",
                           "--port", "{port}"], "/sparql", workdir,  # as a user runs it: the default workers
                    env={"HEALTHKG_IN_MEMORY": "true" if in_memory else "false"})
    server.notes.append(f"store written in {write_seconds}s before start (write_store)")
    return server


def start_oxigraph_disk(data: Path, workdir: Path) -> Server:
    location = workdir / "oxigraph-db"
    started = time.perf_counter()
    if location.exists():
        shutil.rmtree(location)
    subprocess.run([str(BIN / "oxigraph"), "load", "--location", str(location), "--file", str(data)],
                   check=True, capture_output=True, preexec_fn=_die_with_parent)
    loaded = round(time.perf_counter() - started, 2)
    server = _spawn("oxigraph-disk", [str(BIN / "oxigraph"), "serve", "--location", str(location), "--bind",
                                      "127.0.0.1:{port}", "--union-default-graph"], "/query", workdir)
    server.load_seconds = round(server.load_seconds + loaded, 2)
    server.notes.append(f"`oxigraph load` took {loaded}s")
    return server


def start_oxigraph_memory(data: Path, workdir: Path) -> Server:
    server = _spawn("oxigraph-memory", [str(BIN / "oxigraph"), "serve", "--bind", "127.0.0.1:{port}",
                                        "--union-default-graph"], "/query", workdir)
    started = time.perf_counter()
    status = _post(server.url.replace("/query", "/store"), data.read_bytes(), "application/n-quads", 900)
    if status not in (200, 201, 204):
        server.stop()
        raise EngineStartError(f"oxigraph-memory: loading {data} through /store answered HTTP {status}")
    server.load_seconds = round(server.load_seconds + time.perf_counter() - started, 2)
    server.notes.append("loaded through the Graph Store Protocol (POST /store, N-Quads)")
    return server


def start_rdflib_endpoint(data: Path, workdir: Path) -> Server:
    return _spawn("rdflib-endpoint", [str(BIN / "rdflib-endpoint"), "serve", "--host", "127.0.0.1",
                                      "--port", "{port}", str(data.resolve())], "/", workdir)


STARTERS: dict[str, Callable[[Path, Path], Server]] = {
    "healthkg": start_healthkg,
    "healthkg-disk": lambda data, workdir: start_healthkg(data, workdir, in_memory=False),
    "oxigraph-disk": start_oxigraph_disk,
    "oxigraph-memory": start_oxigraph_memory,
    "rdflib-endpoint": start_rdflib_endpoint,
}
