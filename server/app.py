"""The Flask application factory: configuration and the graph come in, nothing is global."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from healthkg.server.graph import GraphService

DEFAULTS: dict[str, Any] = {
    "STORE_PATH": "var/store",
    "IN_MEMORY": True,
}


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("HEALTHKG")
    if config:
        app.config.update(config)
    app.extensions["healthkg"] = GraphService(Path(app.config["STORE_PATH"]), in_memory=app.config["IN_MEMORY"])

    from healthkg.server import sparql

    app.register_blueprint(sparql.blueprint)
    return app
