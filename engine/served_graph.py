"""The graph the engine answers from, and how a new build replaces it without a pause.

A :class:`Snapshot` is everything one request needs: the backend to query,
the build it came from and a generation number that changes whenever the
answers may change (a new build, an update). Requests take the current
snapshot once and keep it, so a reload that swaps in a new snapshot never
changes the graph under a running query.

Reload: at most every ``RELOAD_INTERVAL`` seconds a request looks at the
store's build.json; when it has changed, a background thread loads the new
store and swaps it in when ready, while requests keep being served from the
old one. A server whose processes share one store loaded by their parent
sets :attr:`ServedGraph.on_new_build` instead: the parent loads the build and
replaces its workers (see :mod:`healthkg.server.http_server`). Updates made through SPARQL
Update or the Graph Store Protocol live only in the served in-memory store
and are gone after a reload or restart.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from pyoxigraph import Store

from healthkg.engine.backends import LocalBackend, RemoteBackend
from healthkg.engine.errors import EmbeddedStoreRequired
from healthkg.engine.store import INFO_FILE, BuildInfo, StoreMissing, open_store, read_info

log = logging.getLogger("healthkg.engine")


@dataclass(frozen=True)
class Snapshot:
    """One version of the served graph: where to query it, the build it came from, its generation."""

    backend: LocalBackend | RemoteBackend
    info: BuildInfo | None
    generation: int

    @property
    def store(self) -> Store:
        """The embedded store; raises :class:`EmbeddedStoreRequired` over a remote endpoint."""
        if not isinstance(self.backend, LocalBackend):
            raise EmbeddedStoreRequired(f"the graph is served by {self.backend.endpoint}, not an embedded store")
        return self.backend.store

    @property
    def version(self) -> str:
        return f"{self.info.version if self.info else 'remote'}.{self.generation}"


class ServedGraph:
    """Holds the current snapshot; see the module docstring for reload and update semantics."""

    def __init__(self, path: Path, *, in_memory: bool = True, backend_url: str | None = None,
                 backend_token: str | None = None, timeout: float | None = None,
                 reload_interval: float = 0.0) -> None:
        self.path = Path(path)
        self.in_memory = in_memory
        self.reload_interval = reload_interval if backend_url is None else 0.0
        self._lock = threading.Lock()
        self._generation = 0
        self._loading = False
        self._checked_at = time.monotonic()
        self._seen_mtime = self._info_mtime()
        # Called (once per new build.json) instead of loading the build in a thread of this process.
        self.on_new_build: Callable[[], None] | None = None
        if backend_url:
            info = read_info(self.path) if (self.path / INFO_FILE).is_file() else None
            self._snapshot = Snapshot(RemoteBackend(backend_url, backend_token, timeout), info, 0)
        else:
            info = read_info(self.path)
            self._snapshot = Snapshot(LocalBackend(open_store(self.path, in_memory=in_memory)), info, 0)

    def snapshot(self) -> Snapshot:
        """The current snapshot; may start loading a newer build in the background."""
        if self.reload_interval > 0 and time.monotonic() - self._checked_at >= self.reload_interval:
            self._check_for_new_build()
        return self._snapshot

    def changed(self) -> None:
        """Record that the served graph was modified in place (an update), so cached answers expire."""
        with self._lock:
            self._generation += 1
            self._snapshot = replace(self._snapshot, generation=self._generation)

    def reload(self) -> bool:
        """Load the build on disk now and swap it in if its version differs; True when swapped."""
        for _attempt in range(3):
            mtime = self._info_mtime()
            info = read_info(self.path)
            current = self._snapshot.info
            if current is not None and info.version == current.version:
                return False
            backend = LocalBackend(open_store(self.path, in_memory=self.in_memory))
            if read_info(self.path).version != info.version:
                continue  # another build was swapped in while this one loaded
            with self._lock:
                self._generation += 1
                self._snapshot = Snapshot(backend, info, self._generation)
                self._seen_mtime = mtime
            log.info("reloaded %s: version %s", self.path, info.version)
            return True
        raise OSError(f"{self.path} kept changing while it was being loaded")

    def _info_mtime(self) -> int | None:
        try:
            return (self.path / INFO_FILE).stat().st_mtime_ns
        except OSError:
            return None

    def _check_for_new_build(self) -> None:
        with self._lock:
            self._checked_at = time.monotonic()
            mtime = self._info_mtime()
            if self._loading or mtime is None or mtime == self._seen_mtime:
                return
            if self.on_new_build is not None:
                self._seen_mtime = mtime
                self.on_new_build()
                return
            self._loading = True
        threading.Thread(target=self._reload_in_background, args=(mtime,), name="healthkg-reload", daemon=True).start()

    def _reload_in_background(self, mtime: int) -> None:
        try:
            self.reload()
            self._seen_mtime = mtime
        except (OSError, StoreMissing, ValueError) as error:
            log.warning("reload of %s failed, still serving version %s: %s", self.path, self._snapshot.version, error)
        finally:
            self._loading = False
