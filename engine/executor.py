"""Evaluations in worker threads of this process: for embedding the engine and for tests (``ISOLATION=thread``).

The server evaluates in processes it can kill (:mod:`healthkg.engine.process_executor`); this
executor is what runs when that is not possible or not wanted, and prices containment in the
benchmark. Its limits are the ones described here.

pyoxigraph cannot cancel a running query, but it releases the GIL while it
evaluates, so the evaluation runs in a worker thread and the caller only waits
for its output. At the deadline the caller gets :class:`QueryTimeout` and the
cancel flag is set; the worker stops at its next chunk of output (or when
pyoxigraph hands control back), and the process goes on serving everyone else.
A thread cannot be killed, so a query that computes long without output keeps
its worker (and a core) until it ends, and a crash inside the store ends the process.

An answer is held back until it is complete or exceeds ``buffer_bytes``, so
that small answers get a length and any error a proper status. Larger ones
stream; if one of them runs past the deadline, its rest raises
:class:`StreamAborted`, so the caller can cut the response off rather than end
it as if it were whole.

Workers are daemons of a fixed-size pool of our own: a runaway query stuck
inside pyoxigraph must not keep the process from exiting.
"""

from __future__ import annotations

import ctypes
import logging
import queue
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from typing import Protocol

from healthkg.engine.errors import EngineError, QueryTimeout, StreamAborted
from healthkg.engine.evaluation import evaluate
from healthkg.engine.formats import Format
from healthkg.engine.requests import Answer, Request
from healthkg.engine.results import CHUNK_BYTES
from healthkg.engine.served_graph import Snapshot

log = logging.getLogger("healthkg.engine")
TRIM_AFTER_CPU_SECONDS = 0.05  # a query that computed this long has freed enough memory to give back


class Executor(Protocol):
    """Runs a request against a snapshot and hands back its answer under a deadline.

    ``isolated``: evaluations cannot touch the caller's memory (so an update can be rehearsed).
    """

    isolated: bool

    def run(self, snapshot: Snapshot, request: Request, timeout: float) -> Answer:
        """The answer once complete or large enough to stream; raises the evaluation's error or QueryTimeout."""


def _malloc_trim() -> Callable[[], object]:
    """glibc's malloc_trim(0), or nothing where there is no glibc.

    An analytical query leaves the memory it freed in the allocator's per-thread
    arenas, where the process keeps it; trimming after each expensive query gives
    it back to the system for a small cost (bench/RESULTS.md).
    """
    try:
        trim = ctypes.CDLL(None).malloc_trim  # the C library the interpreter runs on
    except (OSError, AttributeError):
        return lambda: None
    return lambda: trim(0)


release_memory = _malloc_trim()


class Cancelled(Exception):
    """Raised in a worker when the caller has given up on its output."""


class _Channel:
    """The worker's sink, and the caller's end of it.

    Output travels in batches: everything up to ``flush_bytes`` (or the end) in
    one hand-over, because each hand-over costs a thread wake-up, which is most
    of the overhead of a small query. A batch goes when the next chunk comes, so
    the last chunk always travels with the end and an answer that ends with one
    large chunk (a compacted JSON-LD graph) is known to be whole. The queue is
    bounded, so a slow client also slows the worker down.
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
        if self.pending_bytes >= self.flush_bytes:
            self._flush()
        self.pending.append(("data", chunk))
        self.pending_bytes += len(chunk)

    def finish(self, kind: str, value: object) -> None:
        self.pending.append((kind, value))
        self._flush()

    def ends_next(self) -> bool:
        """Whether the next item, already received, ends the answer: then it is whole, however large."""
        return bool(self.received) and self.received[-1][0] == "done"

    def next(self, deadline: float) -> tuple[str, object]:
        """The next item in order; raises queue.Empty at the deadline."""
        if not self.received:
            self.received = self.batches.get(timeout=max(0.0, deadline - time.monotonic()))
            self.received.reverse()
        return self.received.pop()


class ThreadExecutor:
    """A pool of ``workers`` daemon threads evaluating requests against deadlines."""

    isolated = False

    def __init__(self, workers: int, buffer_bytes: int, on_timeout: Callable[[], None] = lambda: None,
                 result_bytes: int | None = None) -> None:
        self.workers = workers
        self.buffer_bytes = buffer_bytes
        self.result_bytes = result_bytes
        self.on_timeout = on_timeout
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

    def run(self, snapshot: Snapshot, request: Request, timeout: float) -> Answer:
        deadline = time.monotonic() + timeout
        cancel = threading.Event()
        started = threading.Event()
        channel = _Channel(cancel, flush_bytes=min(self.buffer_bytes, CHUNK_BYTES))
        backend = snapshot.backend

        def job() -> None:
            if cancel.is_set():
                return
            started.set()
            cpu = time.thread_time()
            try:
                truncated = evaluate(backend, request, channel, self.result_bytes)
                channel.finish("done", truncated)
            except Cancelled:
                return
            except BaseException as error:  # handed to the caller, which decides what it means
                # pyoxigraph results may only be dropped by the thread that made them; the
                # traceback's frames hold them, so free those here and keep only the line info.
                traceback.clear_frames(error.__traceback__)
                try:
                    channel.finish("error", error)
                except Cancelled:
                    return
            if time.thread_time() - cpu >= TRIM_AFTER_CPU_SECONDS:
                release_memory()

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
                if size >= self.buffer_bytes and not channel.ends_next():
                    assert fmt is not None
                    answer = Answer(fmt, head, complete=False, truncated=False, close=cancel.set)
                    answer.rest = self._rest(channel, deadline, cancel, timeout, answer)
                    return answer
            elif kind == "done":
                assert fmt is not None
                return Answer(fmt, head, complete=True, truncated=bool(value))
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
                                   "try again later") from None
            raise QueryTimeout(f"the query ran longer than the limit of {timeout:g} s and was stopped; "
                               "narrow it down or add a LIMIT") from None

    def _rest(self, channel: _Channel, deadline: float, cancel: threading.Event, timeout: float,
              answer: Answer) -> Iterator[bytes]:
        """The remaining chunks; at the end, ``answer.truncated`` says whether the row cap was hit."""
        try:
            while True:
                try:
                    kind, value = channel.next(deadline)
                except queue.Empty:
                    self.on_timeout()
                    message = f"query output stopped at the {timeout:g} s limit"
                    raise StreamAborted(message, QueryTimeout(message)) from None
                if kind == "data":
                    yield value  # type: ignore[misc]
                elif kind == "done":
                    answer.truncated = bool(value)
                    return
                else:
                    log.error("query failed while its result was streaming", exc_info=value)  # type: ignore[arg-type]
                    cause = value if isinstance(value, EngineError) else EngineError(str(value))
                    raise StreamAborted(f"query failed while streaming: {value}", cause)
        finally:
            cancel.set()
