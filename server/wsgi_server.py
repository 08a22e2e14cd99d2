"""waitress as healthkg runs it, in `healthkg serve` and in the integration tests alike.

Three things differ from waitress's defaults, each measured at 1M triples with
8 clients on 2 cores (``bench/RESULTS.md``):

* **Quick requests are served on the loop thread.** waitress reads requests on
  one thread and hands each to a request thread; the hand-over (a wake-up, and
  the GIL passed back and forth) cost more than a point lookup itself, and the
  server sat 28 % idle while its clients waited. So, as each request arrives,
  the loop thread asks the query lane to :meth:`~healthkg.server.query_lane.QueryLane.prepare`
  it: an answer from the result cache, or from a query (of the in-memory store,
  in a request of at most 8 KiB) whose template has lately cost under
  ``LOOP_QUERY_SECONDS`` of CPU (2 ms), is given right there, and the response
  goes out through waitress's own path. Cold point lookups went from 0.6 to
  1.2 times the on-disk Oxigraph server's rate. Everything else goes to the
  request threads as before.
  The price: while the loop thread answers, no other connection is read or
  written, and pyoxigraph cannot stop a query. A cheap template whose query is
  suddenly slow for one set of values (a FILTER that now matches nothing, say)
  holds up every client until it ends; its template then leaves the loop. A
  client that means harm can build such a query on purpose, so an endpoint
  open to untrusted clients should set ``LOOP_QUERY_SECONDS=0`` (only answers
  from the result cache on the loop thread). Before, the same query held one
  request thread.
* ``poll()`` instead of ``select()``: no limit on descriptor numbers, and
  10-20 % more point lookups per second.
* waitress warns "Task queue depth is N" each time a request waits for a
  thread: with more clients than threads, nearly every request (12,000 lines in
  15 s at 8 clients on 4 threads, costing 7 % of the lookups per second). That
  warning is off; the number is a gauge, ``healthkg_requests_waiting``, on
  ``/metrics``, where a monitor can follow it.

The first point rests on waitress internals (the dispatcher's ``add_task``, the
channel's ``handle_read`` and ``service``, the task's environ), hence the pin to
waitress 3.0 in ``setup.cfg``; ``tests/test_wsgi_server.py`` covers them.
Figures: ``bench/RESULTS.md``.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from flask import Flask
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, MultiSocketServer, create_server
from waitress.task import ThreadedTaskDispatcher, WSGITask

from healthkg.server.operations import WAITING
from healthkg.server.query_lane import PATH, PREPARED, Prepared

QUEUE_LOGGER = "waitress.queue"
LOOP_REQUEST_BYTES = 8192  # larger bodies or query strings are not read on the loop thread
log = logging.getLogger("healthkg.server")


class _Task(WSGITask):
    """A request's task; its environ carries the answer prepared on the loop thread, if any."""

    def get_environment(self) -> dict[str, Any]:
        environ: dict[str, Any] = super().get_environment()
        if (prepared := getattr(self.request, "healthkg_prepared", None)) is not None:
            environ[PREPARED] = prepared
        return environ


class _Dispatcher(ThreadedTaskDispatcher):
    """Requests the lane answers at once stay on the loop thread; the rest go to the request threads."""

    def __init__(self, prepare: Callable[[dict[str, Any]], Prepared | None], high_watermark: int) -> None:
        super().__init__()
        self.prepare = prepare
        self.high_watermark = high_watermark
        self.loop_thread: int | None = None  # set by the channels as the loop thread reads them
        self.on_loop: deque[HTTPChannel] = deque()

    def add_task(self, channel: HTTPChannel) -> None:
        # Pipelined requests are added again by the thread that served the one before; only the
        # loop thread may keep a request, as only it drains ``on_loop``.
        if threading.get_ident() == self.loop_thread and self._prepared(channel):
            self.on_loop.append(channel)
        else:
            super().add_task(channel)

    def _prepared(self, channel: HTTPChannel) -> bool:
        request = channel.requests[0]
        if request.error or request.path != PATH or request.content_length > LOOP_REQUEST_BYTES \
                or len(request.query) > LOOP_REQUEST_BYTES:
            return False
        try:
            prepared = self.prepare(_Task(channel, request).get_environment())
        except Exception:  # noqa: BLE001 - a request thread serves it, and reports what goes wrong
            log.exception("preparing an answer on the loop thread failed")
            prepared = None
        finally:
            if request.body_rcv is not None:
                request.get_body_stream().seek(0)  # read by the lane; its request thread reads it again
        # Past waitress's high watermark of unsent bytes, service() would make the loop thread wait for itself.
        if prepared is None or channel.total_outbufs_len + len(prepared.answer.body) > self.high_watermark // 2:
            return False
        request.healthkg_prepared = prepared
        return True


class _Channel(HTTPChannel):
    task_class = _Task

    def handle_read(self) -> None:
        dispatcher: _Dispatcher = self.server.task_dispatcher
        dispatcher.loop_thread = threading.get_ident()
        try:
            super().handle_read()
        finally:
            # Served here, after reading, because ``received`` holds the channel's request lock.
            while dispatcher.on_loop:
                dispatcher.on_loop.popleft().service()


def make_server(app: Flask, host: str, port: int, threads: int) -> BaseWSGIServer | MultiSocketServer:
    """A waitress server for ``app``, not yet running (call its ``run``)."""
    lane = app.extensions["healthkg.lane"]
    dispatcher = _Dispatcher(lane.prepare, high_watermark=16 * 1024 * 1024)
    server = create_server(app, host=host, port=port, threads=threads, ident="healthkg", asyncore_use_poll=True,
                           _dispatcher=dispatcher, outbuf_high_watermark=dispatcher.high_watermark)
    dispatcher.set_thread_count(threads)
    listeners = server.map.values() if isinstance(server, MultiSocketServer) else [server]
    for listener in listeners:
        if isinstance(listener, BaseWSGIServer):
            listener.channel_class = _Channel
    logging.getLogger(QUEUE_LOGGER).setLevel(logging.ERROR)
    tasks = dispatcher.queue  # a deque: len() needs no lock
    app.extensions[WAITING] = lambda: len(tasks)
    return server
