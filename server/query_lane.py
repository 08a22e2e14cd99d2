"""The fast lane of /sparql: the common query answered without Flask.

At 1M triples with 8 clients on 2 cores, a point lookup cost about 1.4 ms of
CPU through the Flask view, of which the lookup itself was 0.2 ms: the rest was
request and response objects, hooks and dispatch, all holding the GIL. The lane
is a WSGI middleware in front of Flask that takes only the common case (a GET
with ``?query=`` or a POST of ``application/sparql-query``, in UTF-8 and without
dataset parameters, asking a SELECT or ASK in a format the client accepts) and only when the answer is in the result
cache or the query's template is known to be cheap (see
:mod:`healthkg.server.execution`). Everything else, every error included, goes
on to the Flask view (:mod:`healthkg.server.sparql`), which owns the protocol's
details and messages; a request handed on keeps its body, so the view reads it
as it was sent. Both paths use the same negotiation, cache keys, runner, CORS
headers, access log and metrics.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask
from werkzeug.wsgi import ClosingIterator

from healthkg.engine.backends import Dataset
from healthkg.engine.formats import Format
from healthkg.engine.query_form import shape
from healthkg.server.errors import HttpError
from healthkg.server.execution import QueryRunner
from healthkg.server.graph import GraphService
from healthkg.server.metrics import Metrics
from healthkg.server.operations import Served, cors_headers, record
from healthkg.server.protocol import SPARQL_QUERY, QueryOperation
from healthkg.server.result_cache import CachedAnswer, ResultCache
from healthkg.server.sparql import TRUNCATED_HEADER, cache_key, choose_formats

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
PATH = "/sparql"
RESULT_FORMS = ("SELECT", "ASK")
PREPARED = "healthkg.prepared"  # environ key of an answer given before the request reached the app


@dataclass(frozen=True)
class Prepared:
    """An answer the server's loop thread gave while reading the request (see :meth:`QueryLane.prepare`)."""

    answer: CachedAnswer
    cache_use: str
    started: float


def _plain_query(environ: dict[str, Any], body: bytes) -> QueryOperation | None:
    """The query of a request with nothing but a query: UTF-8, no dataset parameters, no update.

    Anything else (dataset IRIs to check, another charset, repeated or empty
    parameters, escapes that are not UTF-8) is the view's to read with
    :func:`~healthkg.server.protocol.read_operation`. Reading the plain case here
    cost a fifth of the lane's time for a point lookup through werkzeug's request object.
    """
    try:
        if environ["REQUEST_METHOD"] == "GET":
            # PEP 3333: the query string arrives as latin-1; its bytes are the URL's.
            raw = environ.get("QUERY_STRING", "").encode("latin-1").decode("utf-8")
            params = parse_qsl(raw, keep_blank_values=True, errors="strict")
            if len(params) != 1 or params[0][0] != "query":
                return None
            text = params[0][1]
        else:
            _, _, parameters = environ.get("CONTENT_TYPE", "").partition(";")
            charsets = [value.strip().strip('"').lower() for name, _, value in
                        (p.partition("=") for p in parameters.split(";")) if name.strip().lower() == "charset"]
            if environ.get("QUERY_STRING") or any(c not in ("utf-8", "utf8") for c in charsets):
                return None
            text = body.decode("utf-8")
    except (UnicodeError, ValueError):
        return None
    if text.startswith("\ufeff") or not text.strip():
        return None  # a byte-order mark or an empty query: the view's to judge
    return QueryOperation(text, Dataset())


class QueryLane:
    def __init__(self, app: Flask, inner: WsgiApp) -> None:
        self.app = app
        self.inner = inner
        # Only the embedded in-memory store evaluates on the loop thread: a remote endpoint or the
        # disk spends its time waiting, which the CPU-time measure of a template does not see. A
        # bound of 0 admits no template, so the loop thread then answers from the cache only.
        local = app.config["IN_MEMORY"] and not app.config["SPARQL_BACKEND_URL"]
        self.loop_below = float(app.config["LOOP_QUERY_SECONDS"]) if local else 0.0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        prepared = environ.get(PREPARED) or self._prepare(environ, None)
        if prepared is None:
            return self.inner(environ, start_response)
        return self._respond(environ, start_response, prepared.answer, prepared.cache_use, prepared.started)

    def prepare(self, environ: dict[str, Any]) -> Prepared | None:
        """The answer to a request that can be given at once: from the result cache, or by a
        query whose template has lately cost under ``LOOP_QUERY_SECONDS`` of CPU; else None.

        The HTTP server asks this on its loop thread as each request arrives (see
        :mod:`healthkg.server.wsgi_server`) and serves a prepared request there, without
        handing it to a request thread; everything else goes to the request threads as before.
        ``environ`` is thrown away afterwards, so the request's body must be read again from the start.
        """
        return self._prepare(environ, self.loop_below)

    def _prepare(self, environ: dict[str, Any], below: float | None) -> Prepared | None:
        """The lane's answer, evaluating only templates that lately cost under ``below`` CPU seconds
        (None: any cheap template), or None to leave the request to the view."""
        method = environ.get("REQUEST_METHOD")
        if environ.get("PATH_INFO") != PATH or method not in ("GET", "POST"):
            return None
        started = time.perf_counter()
        body = self._body(environ) if method == "POST" else b""
        if body is None or (answered := self._answer(environ, body, below)) is None:
            return None
        return Prepared(*answered, started)

    def _body(self, environ: dict[str, Any]) -> bytes | None:
        """The body of a POST the lane can take (a SPARQL query of a declared, allowed size), else None.

        The body is put back as ``wsgi.input``, so that the view reads it as sent if the lane hands over.
        """
        if environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower() != SPARQL_QUERY:
            return None
        try:
            length = int(environ.get("CONTENT_LENGTH") or "")
        except ValueError:
            return None  # malformed: the view decides
        if length <= 0 or length > int(self.app.config["MAX_CONTENT_LENGTH"] or length):
            return None
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)
        return body  # type: ignore[no-any-return]

    def _answer(self, environ: dict[str, Any], body: bytes, below: float | None) -> tuple[CachedAnswer, str] | None:
        """The answer and how the cache was used, or None to leave the request to the view.

        ``below``: evaluate only templates that lately cost less CPU seconds than this.
        """
        config = self.app.config
        operation = _plain_query(environ, body)
        if operation is None:
            return None
        try:
            choice = choose_formats(environ.get("HTTP_ACCEPT"))
        except HttpError:
            return None
        if choice.results is None:
            return None
        query_shape = shape(operation.text)
        if query_shape.form not in RESULT_FORMS or query_shape.service:
            return None
        graphs: GraphService = self.app.extensions["healthkg"]
        cache: ResultCache = self.app.extensions["healthkg.cache"]
        runner: QueryRunner = self.app.extensions["healthkg.runner"]
        snapshot = graphs.snapshot()
        max_rows = int(config["MAX_ROWS"])
        key = cache_key(snapshot, operation, choice, max_rows)
        use_cache = "no-cache" not in environ.get("HTTP_CACHE_CONTROL", "")
        if use_cache and (cached := cache.get(key, count_miss=False)) is not None:
            return cached, "hit"
        try:
            outcome = runner.run_if_cheap(
                lambda sink, small: snapshot.backend.stream(operation.text, operation.dataset,
                                                            choice, sink, max_rows, small),
                query_shape.template, below)
        except Exception:  # noqa: BLE001 - the view runs it again and answers the error properly
            return None
        if outcome is None:
            return None
        answer = CachedAnswer(outcome.fmt, outcome.body, outcome.truncated)
        if use_cache:
            cache.count_miss()
            cache.put(key, answer)
        return answer, "miss" if use_cache else "bypass"

    def _respond(self, environ: dict[str, Any], start_response: Callable[..., Any], answer: CachedAnswer,
                 cache_use: str, started: float) -> Iterable[bytes]:
        fmt: Format = answer.fmt
        headers = [("Content-Type", fmt.content_type), ("Content-Length", str(len(answer.body)))]
        vary = ["Accept"]
        for name, value in cors_headers(self.app.config["CORS_ORIGINS"], environ.get("HTTP_ORIGIN"),
                                        environ["REQUEST_METHOD"]):
            if name == "Vary":
                vary.append(value)
            else:
                headers.append((name, value))
        headers.append(("Vary", ", ".join(vary)))
        if answer.truncated:
            headers.append((TRUNCATED_HEADER, f"max-rows={int(self.app.config['MAX_ROWS'])}"))
        start_response("200 OK", headers)
        served = Served(PATH, environ["REQUEST_METHOD"], PATH, 200, len(answer.body), environ.get("REMOTE_ADDR"),
                        environ.get("HTTP_USER_AGENT", ""), cache_use)
        metrics: Metrics = self.app.extensions["healthkg.metrics"]
        log = bool(self.app.config["ACCESS_LOG"])
        return ClosingIterator([answer.body], [lambda: record(metrics, served, started, log)])
