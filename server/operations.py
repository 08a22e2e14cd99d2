"""Running the server: /healthz, /metrics, one JSON access-log line per request, and CORS.

The access log goes to the ``healthkg.access`` logger at INFO, one JSON
object per request (time, client, method, path, status, bytes, duration,
result-cache use), written when the last byte of the response has gone out.

CORS (https://fetch.spec.whatwg.org/#http-cors-protocol): on by default for
the read-only methods, so browser tools can query from other origins;
``CORS_ORIGINS`` is ``*``, a list of origins, or empty to turn it off. Writes
(SPARQL Update, Graph Store PUT/DELETE) are never offered to other origins.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from flask import Blueprint, Flask, Response, current_app, g, request

from healthkg.server.metrics import CONTENT_TYPE, Metrics
from healthkg.server.services import services

blueprint = Blueprint("operations", __name__)
access_log = logging.getLogger("healthkg.access")
READ_METHODS = "GET, HEAD, POST, OPTIONS"
ALLOWED_REQUEST_HEADERS = {"accept", "accept-language", "cache-control", "content-type"}
EXPOSED_HEADERS = "Content-Length, Content-Type, ETag, Last-Modified, Healthkg-Truncated, Retry-After"


@blueprint.route("/healthz")
def healthz() -> Response:
    snapshot = services().engine.snapshot()
    body = {"status": "ok", "version": snapshot.version,
            "built_at": snapshot.info.built_at if snapshot.info else None,
            "backend": getattr(snapshot.backend, "endpoint", "embedded")}
    return Response(json.dumps(body), content_type="application/json")


@blueprint.route("/metrics")
def metrics() -> Response:
    the = services()
    snapshot = the.engine.snapshot()
    gauges = {"healthkg_graph_generation": ("Changes of the served graph since start (reloads, updates).",
                                            float(snapshot.generation))}
    if snapshot.info is not None:
        gauges["healthkg_graph_triples"] = ("Triples in the served build.", float(snapshot.info.triples))
    counters = {"healthkg_result_cache_hits_total": ("Queries answered from the result cache.",
                                                     lambda: the.metrics.count("cache_hit")),
                "healthkg_result_cache_misses_total": ("Queries evaluated after a cache miss.",
                                                       lambda: the.metrics.count("cache_miss"))}
    return Response(the.metrics.render(gauges, counters), content_type=CONTENT_TYPE)


def cors_headers(allowed: str | list[str], origin: str | None, method: str,
                 requested_headers: str = "") -> list[tuple[str, str]]:
    """The CORS headers of a response to ``origin`` (none when CORS is off or the origin is not allowed)."""
    if not allowed or not origin:
        return []
    origins = [o.strip() for o in allowed.split(",")] if isinstance(allowed, str) else list(allowed)
    if "*" in origins:
        headers = [("Access-Control-Allow-Origin", "*")]
    elif origin in origins:
        headers = [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")]
    else:
        return []
    headers.append(("Access-Control-Expose-Headers", EXPOSED_HEADERS))
    if method == "OPTIONS":
        headers.append(("Access-Control-Allow-Methods", READ_METHODS))
        granted = [h.strip() for h in requested_headers.split(",") if h.strip().lower() in ALLOWED_REQUEST_HEADERS]
        if granted:
            headers.append(("Access-Control-Allow-Headers", ", ".join(granted)))
        headers.append(("Access-Control-Max-Age", "86400"))
    return headers


def _cors(response: Response) -> None:
    for name, value in cors_headers(current_app.config["CORS_ORIGINS"], request.headers.get("Origin"), request.method,
                                    request.headers.get("Access-Control-Request-Headers", "")):
        if name == "Vary":
            response.vary.add(value)
        else:
            response.headers[name] = value


@dataclass(frozen=True)
class Served:
    """What the access log and the metrics keep of one answered request."""

    endpoint: str
    method: str
    path: str
    status: int
    length: int | None
    remote: str | None
    agent: str
    cache: str | None


def record(registry: Metrics, served: Served, started: float, log: bool) -> None:
    """Count a request once its last byte has gone out (``started``: its perf_counter), and log it if ``log``.

    ``log`` is the app's ``ACCESS_LOG``: the logger is the process's, and another app in the
    same process may have given it a handler.
    """
    seconds = time.perf_counter() - started
    registry.observe(served.endpoint, served.method, served.status, seconds)
    if log and access_log.isEnabledFor(logging.INFO):
        access_log.info(json.dumps({
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"), "remote": served.remote,
            "method": served.method, "path": served.path, "endpoint": served.endpoint, "status": served.status,
            "bytes": served.length, "duration_ms": round(seconds * 1000, 3), "cache": served.cache,
            "agent": served.agent,
        }, ensure_ascii=False))


def install(app: Flask, registry: Metrics) -> None:
    """Register the hooks that time, count, log and CORS-annotate every response."""
    log = bool(app.config["ACCESS_LOG"])

    @app.before_request
    def _start() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        _cors(response)
        started = g.get("started", time.perf_counter())
        served = Served(request.url_rule.rule if request.url_rule is not None else "unmatched", request.method,
                        request.path, response.status_code, response.content_length, request.remote_addr,
                        request.user_agent.string, g.get("cache"))
        response.call_on_close(lambda: record(registry, served, started, log))
        return response
