"""The HTTP server ``healthkg serve`` runs: waitress, through its public API only.

A request thread waits for its query's worker (:mod:`healthkg.engine.executor`),
so ``threads`` bounds the requests in progress, not the queries. Two settings
differ from waitress's defaults: ``poll()`` instead of ``select()`` (no limit on
descriptor numbers), and the ``waitress.queue`` logger is quiet below errors,
because with more clients than threads it warns of the queue depth for nearly
every request, an entry per request that buries the access log.
"""

from __future__ import annotations

import logging

import waitress
from flask import Flask

QUEUE_LOGGER = "waitress.queue"


def serve(app: Flask, host: str, port: int, threads: int) -> None:
    """Serve ``app`` on ``host:port`` until the process is stopped."""
    logging.getLogger(QUEUE_LOGGER).setLevel(logging.ERROR)
    waitress.serve(app, host=host, port=port, threads=threads, ident="healthkg", asyncore_use_poll=True)
