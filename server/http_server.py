"""The HTTP server ``healthkg serve`` runs: gunicorn, configured through its public application API.

Layout (measurements and the alternatives weighed are in bench/RESULTS.md):

* the **master** loads the app and the store once (``preload_app``) and forks the workers, which share the
  store's memory copy-on-write; it answers no request, so nothing a query does can stop it;
* each **worker** (gunicorn's ``sync`` worker: one request at a time, one thread) parses HTTP, runs the Flask
  app (negotiation, result cache, guard) and forks its own **evaluator** when it starts
  (:class:`healthkg.engine.process_executor.ProcessExecutor`), to which it hands every query; being
  single-threaded, it can fork a replacement safely whenever an evaluator is killed or dies;
* gunicorn's worker timeout (``WORKER_TIMEOUT``) and ``max_requests`` are the outer net: a worker stuck
  past the one or worn by the other is replaced by a fresh fork of the master.

A new build is loaded by the master: a worker that sees build.json change sends it SIGHUP, gunicorn calls
``on_reload`` (where the master loads the build) and replaces the workers gracefully, so requests keep being
answered from the old build until the new workers are up. With writes enabled there is one worker and it is
never recycled: the writes live in its memory (server/README.md).
"""

from __future__ import annotations

import gc
import logging
import os
import signal
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from healthkg.server.services import services_of

log = logging.getLogger("healthkg.server")


def _ask_master_to_reload() -> None:
    os.kill(os.getppid(), signal.SIGHUP)


class HealthkgServer(BaseApplication):
    """gunicorn with the healthkg app preloaded and the hooks that give each worker its evaluator."""

    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        if "control_socket_disable" in self.cfg.settings:  # gunicorn >= 25: no shared control socket per user
            self.cfg.set("control_socket_disable", True)
        self.cfg.set("post_fork", self._post_fork)
        self.cfg.set("post_request", self._post_request)
        self.cfg.set("worker_exit", self._worker_exit)
        self.cfg.set("on_reload", self._on_reload)

    def load(self) -> Flask:
        return self.application

    def _post_fork(self, server: Any, worker: Any) -> None:
        engine = services_of(self.application).engine
        engine.graph.on_new_build = _ask_master_to_reload
        engine.start()

    def _post_request(self, worker: Any, request: Any, environ: Any, response: Any) -> None:
        """Between requests: an evaluator that asked to retire is replaced now, not by the next request."""
        tidy = getattr(services_of(self.application).engine.executor, "tidy", None)
        if tidy is not None:
            tidy()

    def _worker_exit(self, server: Any, worker: Any) -> None:
        engine = services_of(self.application).engine
        stop = getattr(engine.executor, "stop", None)
        if stop is not None:
            stop()

    def _on_reload(self, server: Any) -> None:
        """In the master, before gunicorn forks the new workers: load the new build (or keep the old one)."""
        graph = services_of(self.application).engine.graph
        try:
            graph.reload()
        except Exception as error:  # a broken or half-written build: keep serving the one loaded
            log.warning("reload of %s failed, still serving the build loaded before: %s", graph.path, error)
        gc.collect()
        gc.freeze()


def gunicorn_options(config: dict[str, Any], host: str, port: int, workers: int) -> dict[str, Any]:
    """gunicorn's settings from the app's (server/README.md lists them)."""
    updates = bool(config["UPDATE_ENABLED"])
    max_requests = 0 if updates else int(config["WORKER_MAX_REQUESTS"])
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "sync",
        "preload_app": True,
        "timeout": int(config["WORKER_TIMEOUT"]),
        "graceful_timeout": int(float(config["QUERY_TIMEOUT"])) + 5,
        "max_requests": max_requests,
        "max_requests_jitter": max_requests // 10,
        "limit_request_line": int(config["MAX_REQUEST_LINE"]),
        "proc_name": "healthkg",
        "accesslog": None,  # the app writes its own (JSON) access log
        "errorlog": "-",
        "loglevel": "info",
    }


LOG_FORMAT = "[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: %(message)s"


def serve(app: Flask, host: str, port: int, workers: int) -> None:
    """Serve ``app`` on ``host:port`` with ``workers`` processes until the master is stopped."""
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)  # the app's own loggers, beside gunicorn's
    gc.collect()
    gc.freeze()  # what the master loaded is never collected, so the workers' copies of it stay shared
    HealthkgServer(app, gunicorn_options(dict(app.config), host, port, workers)).run()
