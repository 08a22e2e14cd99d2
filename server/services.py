"""What every view reaches for, as one typed object on the app instead of string keys.

``create_app`` puts a :class:`Services` into ``app.extensions["healthkg"]``;
views read it with :func:`services`, so a type checker follows every use and a
renamed service breaks at import, not at the first request.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app

from healthkg.engine import Engine
from healthkg.server.metrics import Metrics
from healthkg.server.statistics import Statistics

EXTENSION = "healthkg"


@dataclass(frozen=True)
class Services:
    engine: Engine  # every query, graph read and write
    metrics: Metrics  # request counters and latencies for /metrics
    statistics: Statistics  # figures of the served graph for the service and dataset descriptions


def install(app: Flask, services: Services) -> None:
    app.extensions[EXTENSION] = services


def services_of(app: Flask) -> Services:
    found = app.extensions[EXTENSION]
    assert isinstance(found, Services)
    return found


def services() -> Services:
    """The services of the app handling the current request."""
    return services_of(current_app)
