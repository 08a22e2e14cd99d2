"""The Flask application factory: configuration and the graph come in, nothing is global.

Every setting can also come from the environment with the ``HEALTHKG_`` prefix
(values parsed as JSON: ``HEALTHKG_QUERY_TIMEOUT=5``, ``HEALTHKG_UPDATE_ENABLED=true``).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from healthkg.server import errors, operations
from healthkg.server.description import Statistics
from healthkg.server.execution import QueryRunner
from healthkg.server.graph import GraphService
from healthkg.server.metrics import Metrics
from healthkg.server.query_lane import QueryLane
from healthkg.server.result_cache import ResultCache

MiB = 1024 * 1024
DEFAULTS: dict[str, Any] = {
    "STORE_PATH": "var/store",
    # Serve from memory: analytical queries ran 5-6x faster there than on the on-disk store.
    "IN_MEMORY": True,
    "SPARQL_BACKEND_URL": None,  # read a remote SPARQL 1.1 endpoint instead of the embedded store
    "SPARQL_BACKEND_TOKEN": None,
    "QUERY_TIMEOUT": 30.0,  # seconds per query, then 503
    "MAX_ROWS": 100_000,  # rows (or triples) per result, then cut with a Healthkg-Truncated header
    "MAX_CONTENT_LENGTH": 16 * MiB,  # request bodies, then 413
    "QUERY_WORKERS": 8,
    # CPU seconds: queries of a template never more expensive than this run in the request thread,
    # without the hand-over to a worker and without QUERY_TIMEOUT (server/execution.py); 0 = never.
    "INLINE_QUERY_SECONDS": 0.05,
    # CPU seconds: under `healthkg serve`, queries of a template that lately cost less than this, and
    # answers from the result cache, are served on the HTTP server's own loop thread, which serves no
    # one else meanwhile (server/wsgi_server.py); 0 = only answers from the cache.
    "LOOP_QUERY_SECONDS": 0.002,
    "STREAM_BUFFER_BYTES": 1 * MiB,  # results larger than this stream without Content-Length
    "RESULT_CACHE_BYTES": 16 * MiB,  # complete answers kept, in all; 0 turns the cache off
    "RESULT_CACHE_ENTRY_BYTES": 1 * MiB,
    "UPDATE_ENABLED": False,  # SPARQL Update and the Graph Store Protocol
    "UPDATE_TOKEN": None,
    "CORS_ORIGINS": "*",  # "*", "https://a.example, https://b.example", or "" for no CORS
    "ALLOW_SERVICE": False,  # SERVICE would let anyone make this server fetch arbitrary URLs
    "RELOAD_INTERVAL": 2.0,  # seconds between looks at build.json; 0 never reloads
    "ACCESS_LOG": True,
    "TRUSTED_PROXIES": 0,  # X-Forwarded-* hops to trust for the URLs the server describes itself with
}


class ConfigError(ValueError):
    """A combination of settings the server refuses to start with."""


def _check(config: Mapping[str, Any]) -> None:
    if config["UPDATE_ENABLED"]:
        if not config["UPDATE_TOKEN"]:
            raise ConfigError("UPDATE_ENABLED needs UPDATE_TOKEN: writes are only ever allowed with a bearer token")
        if config["SPARQL_BACKEND_URL"] or not config["IN_MEMORY"]:
            raise ConfigError("UPDATE_ENABLED needs the embedded in-memory store (IN_MEMORY, no SPARQL_BACKEND_URL)")


def _access_log() -> None:
    logger = operations.access_log
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("HEALTHKG")
    if config:
        app.config.update(config)
    _check(app.config)
    metrics = Metrics()
    app.extensions["healthkg"] = GraphService.from_config(app.config)
    app.extensions["healthkg.metrics"] = metrics
    timeout = float(app.config["QUERY_TIMEOUT"])
    app.extensions["healthkg.runner"] = QueryRunner(int(app.config["QUERY_WORKERS"]),
                                                    int(app.config["STREAM_BUFFER_BYTES"]), metrics.timeout,
                                                    min(float(app.config["INLINE_QUERY_SECONDS"]), timeout / 10))
    app.extensions["healthkg.cache"] = ResultCache(int(app.config["RESULT_CACHE_BYTES"]),
                                                   int(app.config["RESULT_CACHE_ENTRY_BYTES"]))
    app.extensions["healthkg.statistics"] = Statistics()
    if app.config["ACCESS_LOG"]:
        _access_log()
    lane = app.extensions["healthkg.lane"] = QueryLane(app, app.wsgi_app)
    app.wsgi_app = lane  # type: ignore[method-assign]
    if int(app.config["TRUSTED_PROXIES"]) > 0:
        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops,  # type: ignore[method-assign]
                                x_prefix=hops)
    errors.register(app)
    operations.install(app)

    from healthkg.server import description, explorer, graph_store, pages, sparql

    app.register_blueprint(sparql.blueprint)
    app.register_blueprint(description.blueprint)
    app.register_blueprint(graph_store.blueprint)
    app.register_blueprint(operations.blueprint)
    app.register_blueprint(pages.blueprint)
    app.register_blueprint(explorer.blueprint)
    return app
