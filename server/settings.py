"""What a server can be configured with, its safe defaults, and the combinations it refuses.

Every setting can also come from the environment with the ``HEALTHKG_`` prefix
(values parsed as JSON: ``HEALTHKG_QUERY_TIMEOUT=5``, ``HEALTHKG_UPDATE_ENABLED=true``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from healthkg.engine import EngineSettings

MiB = 1024 * 1024
DEFAULTS: dict[str, Any] = {
    "STORE_PATH": "var/store",
    # Serve from memory, where analytical queries run several times faster than on disk (bench/RESULTS.md).
    "IN_MEMORY": True,
    "SPARQL_BACKEND_URL": None,  # read a remote SPARQL 1.1 endpoint instead of the embedded store
    "SPARQL_BACKEND_TOKEN": None,
    "QUERY_TIMEOUT": 30.0,  # seconds per query, then 503
    "MAX_ROWS": 100_000,  # rows (or triples) per /sparql result, then cut with a Healthkg-Truncated header
    "MAX_CONTENT_LENGTH": 16 * MiB,  # request bodies, then 413
    "QUERY_WORKERS": 8,
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


def check(config: Mapping[str, Any]) -> None:
    if config["UPDATE_ENABLED"]:
        if not config["UPDATE_TOKEN"]:
            raise ConfigError("UPDATE_ENABLED needs UPDATE_TOKEN: writes are only ever allowed with a bearer token")
        if config["SPARQL_BACKEND_URL"] or not config["IN_MEMORY"]:
            raise ConfigError("UPDATE_ENABLED needs the embedded in-memory store (IN_MEMORY, no SPARQL_BACKEND_URL)")


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
    )
