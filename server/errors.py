"""One shape for every error the server answers: a status and a short plain-text reason.

The body is ``<status> <reason>: <message>`` in UTF-8 text, small enough for
curl and for the exception messages of SPARQL client libraries, which show the
response body. Client errors are logged as a line; only 500s carry a trace.
The engine's typed errors get their status here, in one table, whichever view
they came through.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

from healthkg.engine import errors as engine

log = logging.getLogger("healthkg.server")


class HttpError(Exception):
    """An error with its HTTP status, raised anywhere below a view and rendered by the app."""

    status = 500

    def __init__(self, message: str, *, status: int | None = None, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.headers = dict(headers or {})


class BadRequest(HttpError):
    status = 400


class Unauthorized(HttpError):
    status = 401


class Forbidden(HttpError):
    status = 403


class NotFound(HttpError):
    status = 404


class NotAcceptableError(HttpError):
    status = 406


class UnsupportedMediaType(HttpError):
    status = 415


class ServiceUnavailable(HttpError):
    status = 503


class BadGateway(HttpError):
    status = 502


class GatewayTimeout(HttpError):
    status = 504


# The engine's errors by status; the first class an error is an instance of wins.
ENGINE_STATUSES: tuple[tuple[type[engine.EngineError], int], ...] = (
    (engine.MalformedQuery, 400),
    (engine.QueryRefused, 400),
    (engine.ServiceNotAllowed, 400),
    (engine.NotAQuery, 400),
    (engine.MalformedPayload, 400),
    (engine.NotAcceptable, 406),
    (engine.UnsupportedPayload, 415),
    (engine.GraphNotFound, 404),
    (engine.QueryTimeout, 503),
    (engine.ResourceLimit, 503),
    (engine.BackendTimeout, 504),
    (engine.BackendError, 502),
)


def http_error(error: engine.EngineError) -> HttpError:
    """The HTTP error an engine error is answered with: 500 for one no client can cause, logged here and
    answered without its text, whichever handler (pages, protocol, API) renders it."""
    status = next((code for kind, code in ENGINE_STATUSES if isinstance(error, kind)), 500)
    if status == 500:
        log.error("internal error: %s", error, exc_info=error)
        return HttpError("internal server error (logged)", status=500)
    # A query stopped at the deadline may pass on a quieter server; one past its memory or size limit will not.
    retry = isinstance(error, engine.QueryTimeout)
    headers = {"Retry-After": str(engine.RETRY_AFTER_SECONDS)} if retry else None
    return HttpError(str(error), status=status, headers=headers)


def error_response(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    reason = HTTPStatus(status).phrase
    body = f"{status} {reason}: {message}\n"
    response = Response(body, status=status, content_type="text/plain; charset=utf-8")
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def register(app: Flask) -> None:
    """Render :class:`HttpError`, werkzeug's HTTP exceptions and unexpected failures alike."""

    @app.errorhandler(HttpError)
    def _http_error(error: HttpError) -> Response:
        return error_response(error.status, error.message, error.headers)

    @app.errorhandler(engine.EngineError)
    def _engine_error(error: engine.EngineError) -> Response:
        converted = http_error(error)
        return error_response(converted.status, converted.message, converted.headers)

    @app.errorhandler(HTTPException)
    def _werkzeug_error(error: HTTPException) -> Response:
        headers = {k: v for k, v in error.get_headers() if k.lower() not in ("content-type", "content-length")}
        return error_response(error.code or 500, error.description or error.name, headers)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        log.exception("internal error: %s", error)
        return error_response(500, "internal server error (logged)")
