"""Queries under a deadline: evaluated in worker threads, abandoned when time runs out.

pyoxigraph cannot cancel a running query, but it releases the GIL while it
evaluates, so the evaluation runs in a worker thread and the request thread
only waits for its output, never longer than the deadline. At the deadline
the request thread answers 503 and sets the cancel flag; the worker stops at
its next chunk of output (or when pyoxigraph hands control back) and the
server goes on serving everyone else.

A result is held back until it is complete or exceeds ``buffer_bytes``, so
that small results get a Content-Length and any error (syntax, timeout, 406)
a proper status. Larger results stream; if one of them runs past the
deadline, the connection is closed before the final chunk, so the client
sees an incomplete response rather than a silently truncated one.

Worker threads are daemons of a fixed-size pool of our own: a runaway query
stuck inside pyoxigraph must not keep the process from exiting.

The exception, for speed: handing a query to a worker and its answer back
costs two thread switches, which under load (8 clients on 2 cores) took about
0.3-0.5 ms of CPU per request, more than a point lookup itself (0.2 ms at 1M
triples). So a query whose *template* (its text with IRIs and strings
replaced, see :class:`~healthkg.engine.query_form.QueryShape`) has been
answered at least ``INLINE_AFTER`` times, never once with more than
``inline_below`` seconds of CPU, ``20 * inline_below`` seconds of evaluation or
``CHUNK_BYTES`` of output, runs in the request thread, and is told its answer
is expected to be small. The first evaluations of a template, and every
template that was ever expensive, run in a worker under the deadline. The
price: a cheap template's query that is suddenly slow for one particular
entity is answered late instead of with a 503 (its template goes back to the
workers at once); one that is suddenly large is stopped at ``buffer_bytes``
and run again in a worker.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import queue
import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from waitress.channel import ClientDisconnected

from healthkg.engine.backends import Collected, Outgrown, Sink
from healthkg.engine.formats import Format
from healthkg.engine.results import CHUNK_BYTES
from healthkg.server.errors import ServiceUnavailable

# A query task writes its answer into the sink and says whether the row cap cut it short; its
# second argument says whether the answer is expected to be small (run inline, see below).
Task = Callable[[Sink, bool], bool]
log = logging.getLogger("healthkg.server")
INLINE_AFTER = 3  # evaluations of a template in workers before it may run inline
TEMPLATES_REMEMBERED = 4096
TRIM_AFTER_CPU_SECONDS = 0.05  # a query that computed this long has freed enough to give back


def _malloc_trim() -> Callable[[], object]:
    """glibc's malloc_trim(0), or nothing where there is no glibc.

    An analytical query at 1M triples leaves tens of MiB of freed memory in the
    allocator's per-thread arenas (the server grew from 396 to 442 MiB over the
    benchmark's analytical queries); trimming after each expensive query took
    under 2 ms and gave it back (391 MiB).
    """
    try:
        trim = ctypes.CDLL(None).malloc_trim  # the C library the interpreter runs on
    except (OSError, AttributeError):
        return lambda: None
    return lambda: trim(0)


release_memory = _malloc_trim()


class Cancelled(Exception):
    """Raised in a worker when the request side has given up on its output."""


class QueryTimeout(ServiceUnavailable):
    """The query did not finish within the configured time."""


class StreamAborted(ClientDisconnected):
    """Ends a response whose headers are already sent.

    Subclassing waitress's ClientDisconnected makes waitress close the
    connection (no final chunk) and log one line instead of a traceback.
    """


class _Channel:
    """The worker's :class:`Sink`, and the request thread's end of it.

    Output travels in batches: everything up to ``flush_bytes`` (or the end) in
    one hand-over, because each hand-over costs a thread wake-up, which is most
    of the overhead of a small query. The queue is bounded, so a slow client
    also slows the worker down.
    """

    def __init__(self, cancel: threading.Event, flush_bytes: int, capacity: int = 8) -> None:
        self.batches: queue.Queue[list[tuple[str, object]]] = queue.Queue(maxsize=capacity)
        self.cancel = cancel
        self.flush_bytes = flush_bytes
        self.pending: list[tuple[str, object]] = []
        self.pending_bytes = 0
        self.received: list[tuple[str, object]] = []

    def _flush(self) -> None:
        batch, self.pending, self.pending_bytes = self.pending, [], 0
        while True:
            if self.cancel.is_set():
                raise Cancelled
            try:
                self.batches.put(batch, timeout=0.05)
                return
            except queue.Full:
                continue

    def start(self, fmt: Format) -> None:
        self.pending.append(("start", fmt))

    def write(self, chunk: bytes) -> None:
        self.pending.append(("data", chunk))
        self.pending_bytes += len(chunk)
        if self.pending_bytes >= self.flush_bytes:
            self._flush()

    def finish(self, kind: str, value: object) -> None:
        self.pending.append((kind, value))
        self._flush()

    def next(self, deadline: float) -> tuple[str, object]:
        """The next item in order; raises queue.Empty at the deadline."""
        if not self.received:
            self.received = self.batches.get(timeout=max(0.0, deadline - time.monotonic()))
            self.received.reverse()
        return self.received.pop()


class TemplateCosts:
    """Which query templates have always been cheap (fast and small), and what they cost lately, LRU."""

    def __init__(self, inline_below: float, max_bytes: int, max_wall: float,
                 capacity: int = TEMPLATES_REMEMBERED) -> None:
        self.inline_below = inline_below
        self.max_bytes = max_bytes
        self.max_wall = max_wall
        self.capacity = capacity
        # template digest -> (cheap runs, or -1 once expensive; moving average of their CPU seconds)
        self._runs: OrderedDict[bytes, tuple[int, float]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _key(template: str) -> bytes:
        """A digest, so that remembering a template costs 16 bytes however long the query."""
        return hashlib.blake2b(template.encode("utf-8"), digest_size=16).digest()

    def is_cheap(self, template: str, below: float | None = None) -> bool:
        """Cheap enough to run inline; with ``below``, also costing less CPU seconds than that lately.

        "Lately" is a moving average (weight 1/5 for the newest run): one run slowed by a
        garbage collection should not bar a template for good, while a run that costs many
        times the bound bars it until cheap runs bring the average down again.
        """
        runs, cost = self._runs.get(self._key(template), (0, 0.0))
        return runs >= INLINE_AFTER and (below is None or cost < below)

    def record(self, template: str, cpu: float, wall: float, size: int) -> None:
        """One evaluation: its CPU time (of the evaluating thread), wall time and output size.

        CPU time is the cost, immune to the queueing that a loaded server adds to wall
        time; the wall-time bound keeps out queries that wait rather than compute
        (a remote endpoint, SERVICE).
        """
        cheap = cpu < self.inline_below and wall < self.max_wall and size <= self.max_bytes
        key = self._key(template)
        with self._lock:
            runs, cost = self._runs.get(key, (0, cpu))
            moved = cost + (cpu - cost) / 5 if cheap else max(cost, cpu)  # inf (a timeout) stays inf, not NaN
            self._runs[key] = (runs + 1 if cheap and runs >= 0 else -1, moved)
            self._runs.move_to_end(key)
            if len(self._runs) > self.capacity:
                self._runs.popitem(last=False)


@dataclass
class Outcome:
    """What the request thread knows when it answers: format, first chunks, and the rest to stream.

    ``truncated`` of a streamed outcome is known only once ``chunks()`` has been read to the end.
    """

    fmt: Format
    head: list[bytes]
    complete: bool
    truncated: bool
    rest: Iterator[bytes] = field(default_factory=lambda: iter(()))
    cancel: Callable[[], None] = lambda: None

    @property
    def body(self) -> bytes:
        return b"".join(self.head)

    def chunks(self) -> Iterator[bytes]:
        yield from self.head
        yield from self.rest


class QueryRunner:
    """A pool of ``workers`` daemon threads running query tasks against deadlines."""

    def __init__(self, workers: int, buffer_bytes: int, on_timeout: Callable[[], None] = lambda: None,
                 inline_below: float = 0.05) -> None:
        self.workers = workers
        self.buffer_bytes = buffer_bytes
        self.on_timeout = on_timeout
        self.costs = TemplateCosts(inline_below, min(buffer_bytes, CHUNK_BYTES), max_wall=inline_below * 20)
        self._tasks: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def _submit(self, job: Callable[[], None]) -> None:
        with self._lock:
            if len(self._threads) < self.workers:
                thread = threading.Thread(target=self._serve, name=f"healthkg-query-{len(self._threads)}", daemon=True)
                self._threads.append(thread)
                thread.start()
        self._tasks.put(job)

    def _serve(self) -> None:
        while True:
            self._tasks.get()()

    def run(self, task: Task, timeout: float, template: str | None = None) -> Outcome:
        """Run ``task``; return once its output is complete or large enough to stream.

        ``template`` names the query's cost class (None: never inline). Raises what the task
        raised (before any output), or :class:`QueryTimeout`.
        """
        if template is not None and (outcome := self.run_if_cheap(task, template)) is not None:
            return outcome
        # Set by the worker: when the task began, then its CPU and wall time once it ran to the end
        # (the time spent waiting for a free worker is not the query's cost).
        began: list[float] = []
        spent = [float("inf"), float("inf")]

        def measured(sink: Sink, small: bool) -> bool:
            began.append(time.monotonic())
            started_cpu = time.thread_time()
            truncated = task(sink, small)
            spent[:] = [time.thread_time() - started_cpu, time.monotonic() - began[0]]
            return truncated

        def after() -> None:
            if spent[0] != float("inf") and spent[0] >= TRIM_AFTER_CPU_SECONDS:
                release_memory()

        try:
            outcome = self._in_worker(measured, timeout, after)
        except QueryTimeout:
            if template is not None and began:  # it ran and was too slow (not: no worker was free)
                self.costs.record(template, float("inf"), float("inf"), 0)
            raise
        if template is not None:
            cpu, wall = spent if outcome.complete else (float("inf"), float("inf"))  # streamed: large
            self.costs.record(template, cpu, wall, sum(len(chunk) for chunk in outcome.head))
        return outcome

    def run_if_cheap(self, task: Task, template: str, below: float | None = None) -> Outcome | None:
        """Run ``task`` in this thread if its template is known to be cheap (``below``: see
        :meth:`TemplateCosts.is_cheap`); None otherwise.

        Also None when the answer outgrows ``STREAM_BUFFER_BYTES`` here: the template is then
        no longer cheap, and the caller runs the query again under the deadline. A failing
        query raises its error and leaves the template's record as it was.
        """
        if not self.costs.is_cheap(template, below):
            return None
        started_at, started_cpu = time.monotonic(), time.thread_time()
        sink = Collected(self.buffer_bytes)
        try:
            truncated = task(sink, True)
        except Outgrown:
            self.costs.record(template, float("inf"), float("inf"), sink.size)
            return None
        self.costs.record(template, time.thread_time() - started_cpu, time.monotonic() - started_at, sink.size)
        assert sink.fmt is not None
        return Outcome(sink.fmt, sink.chunks, complete=True, truncated=truncated)

    def _in_worker(self, task: Task, timeout: float, after: Callable[[], None] = lambda: None) -> Outcome:
        """Run ``task`` in a worker; ``after`` runs there once its output has been handed over."""
        deadline = time.monotonic() + timeout
        cancel = threading.Event()
        started = threading.Event()
        channel = _Channel(cancel, flush_bytes=min(self.buffer_bytes, CHUNK_BYTES))

        def job() -> None:
            if cancel.is_set():
                return
            started.set()
            try:
                truncated = task(channel, False)
                channel.finish("done", truncated)
                after()
            except Cancelled:
                return
            except BaseException as error:  # handed to the request thread, which decides what it means
                # pyoxigraph results may only be dropped by the thread that made them; the
                # traceback's frames hold them, so free those here and keep only the line info.
                traceback.clear_frames(error.__traceback__)
                try:
                    channel.finish("error", error)
                except Cancelled:
                    return

        self._submit(job)
        fmt: Format | None = None
        head: list[bytes] = []
        size = 0
        while True:
            kind, value = self._next(channel, deadline, cancel, started, timeout)
            if kind == "start":
                fmt = value  # type: ignore[assignment]
            elif kind == "data":
                head.append(value)  # type: ignore[arg-type]
                size += len(value)  # type: ignore[arg-type]
                if size >= self.buffer_bytes:
                    assert fmt is not None
                    outcome = Outcome(fmt, head, complete=False, truncated=False, cancel=cancel.set)
                    outcome.rest = self._rest(channel, deadline, cancel, timeout, outcome)
                    return outcome
            elif kind == "done":
                assert fmt is not None
                return Outcome(fmt, head, complete=True, truncated=bool(value))
            else:
                raise value  # type: ignore[misc]

    def _next(self, channel: _Channel, deadline: float, cancel: threading.Event, started: threading.Event,
              timeout: float) -> tuple[str, object]:
        try:
            return channel.next(deadline)
        except queue.Empty:
            cancel.set()
            self.on_timeout()
            if not started.is_set():
                raise QueryTimeout(f"all {self.workers} query workers stayed busy for {timeout:g} s; "
                                   "try again later", headers={"Retry-After": "5"}) from None
            raise QueryTimeout(f"the query ran longer than the limit of {timeout:g} s and was stopped; "
                               "narrow it down or add a LIMIT", headers={"Retry-After": "5"}) from None

    def _rest(self, channel: _Channel, deadline: float, cancel: threading.Event, timeout: float,
              outcome: Outcome) -> Iterator[bytes]:
        """The remaining chunks; at the end, ``outcome.truncated`` says whether the row cap was hit."""
        try:
            while True:
                try:
                    kind, value = channel.next(deadline)
                except queue.Empty:
                    self.on_timeout()
                    raise StreamAborted(f"query output stopped at the {timeout:g} s limit") from None
                if kind == "data":
                    yield value  # type: ignore[misc]
                elif kind == "done":
                    outcome.truncated = bool(value)
                    return
                else:
                    log.error("query failed while its result was streaming", exc_info=value)  # type: ignore[arg-type]
                    raise StreamAborted(f"query failed while streaming: {value}")
        finally:
            cancel.set()
