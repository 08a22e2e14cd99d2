"""The Flask application factory: settings and the graph come in, routes go out, nothing is global.

The app is a thin router. Queries, graph reads and writes go to the engine
(:class:`healthkg.engine.Engine`); the protocol side (``/sparql``, the Graph
Store, the named-query API, the descriptions, operations) and the pages
(:mod:`healthkg.server.pages`) are blueprints that turn requests into engine
calls and answers into responses. Settings: :mod:`.settings`.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from healthkg.engine import Engine
from healthkg.server import api, description, errors, graph_store, operations, pages, services, sparql
from healthkg.server.metrics import Metrics
from healthkg.server.settings import DEFAULTS, ConfigError, check, engine_settings
from healthkg.server.statistics import Statistics

__all__ = ["ConfigError", "create_app"]


def _access_log() -> None:
    logger = operations.access_log
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    # Templates and static files are the pages' (the API's browse page shares them).
    app = Flask(__name__, template_folder="pages/templates", static_folder="pages/static")
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("HEALTHKG")
    if config:
        app.config.update(config)
    check(app.config)
    metrics = Metrics()
    engine = Engine(engine_settings(app.config), on_timeout=metrics.timeout, on_cache=metrics.cache)
    services.install(app, services.Services(engine=engine, metrics=metrics, statistics=Statistics(engine)))
    if app.config["ACCESS_LOG"]:
        _access_log()
    if int(app.config["TRUSTED_PROXIES"]) > 0:
        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops,  # type: ignore[method-assign]
                                x_prefix=hops)
    errors.register(app)
    operations.install(app, metrics)
    for blueprint in (sparql.blueprint, description.blueprint, graph_store.blueprint, operations.blueprint,
                      api.blueprint, pages.blueprint):
        app.register_blueprint(blueprint)
    metrics.bind(rule.rule for rule in app.url_map.iter_rules())  # shared by the workers forked later
    return app
