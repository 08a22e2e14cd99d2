"""The graph a running server answers from: the built store, loaded once, and its build info."""

from __future__ import annotations

from pathlib import Path

from flask import current_app
from pyoxigraph import Store

from healthkg.queries.store import BuildInfo, open_store, read_info


class GraphService:
    def __init__(self, path: Path, *, in_memory: bool = True) -> None:
        self.path = path
        self.info: BuildInfo = read_info(path)
        self.store: Store = open_store(path, in_memory=in_memory)


def graph_service() -> GraphService:
    return current_app.extensions["healthkg"]  # type: ignore[no-any-return]
