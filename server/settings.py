"""What a server can be configured with, its safe defaults, and the combinations it refuses.

Every setting can also come from the environment with the ``HEALTHKG_`` prefix
(values parsed as JSON: ``HEALTHKG_QUERY_TIMEOUT=5``, ``HEALTHKG_UPDATE_ENABLED=true``,
``HEALTHKG_SERVICE_ENDPOINTS='["https://example.org/sparql"]'``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from healthkg.engine import EngineSettings
from healthkg.engine.guard import QueryLimits

MiB = 1024 * 1024
DEFAULTS: dict[str, Any] = {
    "STORE_PATH": "var/store",
    # Serve from memory, where analytical queries run several times faster than on disk (bench/RESULTS.md).
    "IN_MEMORY": True,
    "SPARQL_BACKEND_URL": None,  # read a remote SPARQL 1.1 endpoint instead of the embedded store
    "SPARQL_BACKEND_TOKEN": None,
    # Where queries are evaluated: "process" (a child of each worker, killed at its deadline or limits) or
    # "thread" (threads of the serving process, which a runaway query keeps busy; for tests and embedding).
    "ISOLATION": "process",
    "WORKERS": None,  # HTTP worker processes; None: one per core, or 1 with writes enabled
    "WORKER_TIMEOUT": 120,  # seconds a worker may spend on one request before gunicorn replaces it
    "WORKER_MAX_REQUESTS": 20_000,  # requests a worker serves before it is replaced (0: never; always 0 with writes)
    "QUERY_TIMEOUT": 30.0,  # seconds per query, then 503 and the evaluation is killed
    "QUERY_MEMORY": 1024,  # MiB one evaluation may allocate beyond the store, then 503
    # Reads of pyoxigraph's in-memory store write to its pages, so an evaluator that scans it copies them. One
    # holding more than EVALUATOR_PRIVATE_MEMORY MiB of its own is replaced by a fresh fork sharing the store
    # again once no scan came for EVALUATOR_COPY_SECONDS: memory between bursts, speed within them.
    "EVALUATOR_PRIVATE_MEMORY": 64,
    "EVALUATOR_COPY_SECONDS": 30.0,
    "MAX_RESULT_BYTES": 256 * MiB,  # bytes of one answer, then it is cut off (503 before the first byte)
    "MAX_ROWS": 100_000,  # rows (or triples) per /sparql result, then cut with a Healthkg-Truncated header
    "MAX_CONTENT_LENGTH": 16 * MiB,  # request bodies, then 413
    "MAX_REQUEST_LINE": 8190,  # bytes of the request line (a GET query's URL), then 400; gunicorn's largest
    "MAX_QUERY_CHARS": 512 * 1024,  # characters of a query or update text, then 400
    "MAX_QUERY_TOKENS": 20_000,  # terms and symbols of a text, then 400 (the parser recurses on long chains)
    "MAX_QUERY_DEPTH": 128,  # nested brackets, then 400
    "SERVICE_ENDPOINTS": [],  # what SERVICE and LOAD may call, exactly as written; empty: nothing
    "QUERY_WORKERS": 8,  # threads with ISOLATION "thread"
    "STREAM_BUFFER_BYTES": 1 * MiB,  # results larger than this stream without Content-Length
    "RESULT_CACHE_BYTES": 16 * MiB,  # complete answers kept per worker, in all; 0 turns the cache off
    "RESULT_CACHE_ENTRY_BYTES": 1 * MiB,
    "UPDATE_ENABLED": False,  # SPARQL Update and the Graph Store Protocol
    "UPDATE_TOKEN": None,
    "CORS_ORIGINS": "*",  # "*", "https://a.example, https://b.example", or "" for no CORS
    "RELOAD_INTERVAL": 2.0,  # seconds between looks at build.json; 0 never reloads
    "ACCESS_LOG": True,
    "TRUSTED_PROXIES": 0,  # X-Forwarded-* hops to trust for the URLs the server describes itself with
}
REPLACED = {"ALLOW_SERVICE": "SERVICE_ENDPOINTS (the endpoints SERVICE may call, exactly as written)"}


class ConfigError(ValueError):
    """A combination of settings the server refuses to start with."""


def check(config: Mapping[str, Any]) -> None:
    for old, new in REPLACED.items():
        if config.get(old) is not None:
            raise ConfigError(f"{old} is no longer a setting; use {new}")
    if config["UPDATE_ENABLED"]:
        if not config["UPDATE_TOKEN"]:
            raise ConfigError("UPDATE_ENABLED needs UPDATE_TOKEN: writes are only ever allowed with a bearer token")
        if config["SPARQL_BACKEND_URL"] or not config["IN_MEMORY"]:
            raise ConfigError("UPDATE_ENABLED needs the embedded in-memory store (IN_MEMORY, no SPARQL_BACKEND_URL)")
        if config["WORKERS"] not in (None, 1):
            raise ConfigError("UPDATE_ENABLED needs WORKERS=1: a write changes the store of the worker that "
                              "received it, and other workers would go on answering from their own copy")
    if config["ISOLATION"] not in ("process", "thread"):
        raise ConfigError(f"ISOLATION must be 'process' or 'thread', not {config['ISOLATION']!r}")
    for name in ("QUERY_TIMEOUT", "QUERY_MEMORY", "MAX_RESULT_BYTES", "MAX_QUERY_CHARS", "MAX_QUERY_TOKENS",
                 "MAX_QUERY_DEPTH", "WORKER_TIMEOUT"):
        if not float(config[name]) > 0:
            raise ConfigError(f"{name} must be positive, not {config[name]!r}")
    if float(config["WORKER_TIMEOUT"]) <= float(config["QUERY_TIMEOUT"]):
        raise ConfigError("WORKER_TIMEOUT must exceed QUERY_TIMEOUT: gunicorn would kill a worker waiting for a "
                          "query before the query's own deadline answers its client")
    service_endpoints(config)


def service_endpoints(config: Mapping[str, Any]) -> frozenset[str]:
    """The allow-list: a list, or a comma-separated string."""
    value = config["SERVICE_ENDPOINTS"] or []
    if isinstance(value, str):
        value = [part for part in (p.strip() for p in value.split(",")) if part]
    if not isinstance(value, (list, tuple, set, frozenset)) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"SERVICE_ENDPOINTS must be a list of URLs, not {value!r}")
    return frozenset(value)


def workers(config: Mapping[str, Any]) -> int:
    """The number of HTTP worker processes: as configured, else one per core (one with writes enabled)."""
    if config["WORKERS"] is not None:
        return max(1, int(config["WORKERS"]))
    if config["UPDATE_ENABLED"]:
        return 1
    return max(1, len(os.sched_getaffinity(0)))


def engine_settings(config: Mapping[str, Any]) -> EngineSettings:
    return EngineSettings(
        store_path=Path(config["STORE_PATH"]),
        in_memory=bool(config["IN_MEMORY"]),
        backend_url=config.get("SPARQL_BACKEND_URL") or None,
        backend_token=config.get("SPARQL_BACKEND_TOKEN") or None,
        timeout=float(config["QUERY_TIMEOUT"]),
        reload_interval=float(config["RELOAD_INTERVAL"]),
        workers=int(config["QUERY_WORKERS"]),
        buffer_bytes=int(config["STREAM_BUFFER_BYTES"]),
        cache_bytes=int(config["RESULT_CACHE_BYTES"]),
        cache_entry_bytes=int(config["RESULT_CACHE_ENTRY_BYTES"]),
        isolation=str(config["ISOLATION"]),
        memory_bytes=int(float(config["QUERY_MEMORY"]) * MiB),
        private_bytes=int(float(config["EVALUATOR_PRIVATE_MEMORY"]) * MiB),
        copy_seconds=float(config["EVALUATOR_COPY_SECONDS"]),
        result_bytes=int(config["MAX_RESULT_BYTES"]),
        limits=QueryLimits(int(config["MAX_QUERY_CHARS"]), int(config["MAX_QUERY_TOKENS"]),
                           int(config["MAX_QUERY_DEPTH"])),
        service_endpoints=service_endpoints(config),
    )
