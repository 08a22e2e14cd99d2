"""Evaluations in a child process that the server can stop: killed at its deadline, limited in memory and CPU.

pyoxigraph cannot be interrupted, and a text it chokes on can crash it, so a
query is never evaluated in the process that serves HTTP. Each server worker
owns one evaluator: a child forked from the worker (which holds the store, so
the child shares its memory copy-on-write and starts in a few milliseconds).
The worker sends the request down a socket as plain data and reads the
answer back in frames (format, bytes, end or error) under the deadline:

* past the deadline the worker SIGKILLs the evaluator, forks a replacement
  and answers :class:`QueryTimeout`; the core is free at once;
* RLIMIT_AS (the evaluator's size at start plus ``memory_bytes``) and
  RLIMIT_CPU (the deadline plus a second, per request) are the backstops the
  kernel enforces if the worker cannot;
* an evaluator that dies (a crash in the store, the memory limit) costs only
  the request it was answering: :class:`EvaluationCrashed` or
  :class:`ResourceLimit`, and a replacement is forked.

The evaluator runs its loop in a thread with a large stack (``stack_bytes``),
so texts nested deeper than the guard lets through cost time, not a crash.
It must be forked from a single-threaded process (a sync server worker): only
the forking thread exists in the child, and a lock another thread held would
stay locked there.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import math
import os
import pickle
import resource
import signal
import socket
import stat
import struct
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from healthkg.engine.backends import LocalBackend, RemoteBackend
from healthkg.engine.errors import (
    EngineError,
    EvaluationCrashed,
    QueryTimeout,
    ResourceLimit,
    StreamAborted,
)
from healthkg.engine.evaluation import evaluate
from healthkg.engine.executor import TRIM_AFTER_CPU_SECONDS, release_memory
from healthkg.engine.formats import Format, format_named
from healthkg.engine.requests import Answer, Request, UpdateRehearsal
from healthkg.engine.results import CHUNK_BYTES
from healthkg.engine.served_graph import Snapshot

log = logging.getLogger("healthkg.engine")
MiB = 1024 * 1024
FRAME = struct.Struct("!cI")  # kind, payload length
START, DATA, END, ERROR = b"S", b"D", b"E", b"X"
MESSAGE = struct.Struct("!I")
PR_SET_PDEATHSIG = 1
CHECK_EVERY = 1000  # cheap evaluations between two looks at an evaluator's private memory
# Signals the server worker handles itself; the evaluator takes the defaults (a TERM ends it).
WORKER_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2,
                  signal.SIGWINCH, signal.SIGABRT, signal.SIGCHLD, signal.SIGXCPU)


@dataclass(frozen=True)
class EvaluatorLimits:
    """What one evaluation may use; the names in brackets are the server's settings."""

    memory_bytes: int = 1024 * MiB  # address space beyond the evaluator's size at start (QUERY_MEMORY)
    result_bytes: int = 256 * MiB  # bytes of one answer (MAX_RESULT_BYTES)
    buffer_bytes: int = MiB  # answers up to this size are handed over whole (STREAM_BUFFER_BYTES)
    stack_bytes: int = 256 * MiB  # the evaluation thread's stack: virtual, touched only as deep as a parse goes
    private_bytes: int = 64 * MiB  # pages of its own (copies of the shared store) past which it retires
    # (EVALUATOR_PRIVATE_MEMORY) once no scan came for copy_seconds (EVALUATOR_COPY_SECONDS)
    copy_seconds: float = 30.0


# The evaluator's side.


class _FrameSink:
    """The evaluation's sink: frames batched into one send per CHUNK_BYTES, so a small answer is one write."""

    def __init__(self, channel: socket.socket) -> None:
        self.channel = channel
        self.parts: list[bytes] = []
        self.size = 0

    def _frame(self, kind: bytes, payload: bytes) -> None:
        self.parts += (FRAME.pack(kind, len(payload)), payload)
        self.size += len(payload) + FRAME.size
        if self.size >= CHUNK_BYTES:
            self.flush()

    def flush(self) -> None:
        if self.parts:
            self.channel.sendall(b"".join(self.parts))
            self.parts, self.size = [], 0

    def start(self, fmt: Format) -> None:
        self._frame(START, fmt.name.encode())

    def write(self, chunk: bytes) -> None:
        self._frame(DATA, chunk)

    def end(self, truncated: bool, retire: bool) -> None:
        self._frame(END, bytes((truncated, retire)))
        self.flush()

    def fail(self, error: BaseException) -> None:
        self.parts, self.size = [], 0  # a half-written answer is dropped with its error
        self._frame(ERROR, _portable(error))
        self.flush()


def _portable(error: BaseException) -> bytes:
    """The error pickled for the worker: the engine's own and syntax errors as they are, others with their trace."""
    if isinstance(error, (EngineError, SyntaxError)):
        try:
            return pickle.dumps(error)
        except Exception:  # an error whose arguments do not pickle: its message still does
            pass
    trace = "".join(traceback.format_exception(error))
    return pickle.dumps(EvaluationCrashed(f"{type(error).__name__}: {error}\n{trace}"))


def _receive(channel: socket.socket, size: int) -> bytes | None:
    data = bytearray()
    while len(data) < size:
        chunk = channel.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return bytes(data)


def _statm_size() -> int:
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[0]) * resource.getpagesize()


def _private_dirty() -> int:
    """Bytes this process has written since it was forked (its own copies of shared pages included).

    Reading pyoxigraph's in-memory store writes to the pages it reads, so an evaluation that scans the
    store leaves the evaluator with a private copy of it; reading this costs milliseconds at 1M triples.
    """
    with open("/proc/self/smaps_rollup", "rb") as rollup:
        for line in rollup:
            if line.startswith(b"Private_Dirty:"):
                return int(line.split()[1]) * 1024
    return 0


def _serve(channel: socket.socket, backend: LocalBackend | RemoteBackend, limits: EvaluatorLimits) -> None:
    """The evaluator's loop: a request in, its answer out as frames, until the worker closes the channel."""
    baseline = _statm_size()
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = baseline + limits.memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))
    _, cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)
    served = 0
    copied_at: float | None = None  # when an evaluation last left this evaluator holding much of the store
    while True:
        header = _receive(channel, MESSAGE.size)
        if header is None:
            return
        message = _receive(channel, MESSAGE.unpack(header)[0])
        if message is None:
            return
        request, cpu_seconds = pickle.loads(message)
        used = time.process_time()
        soft = int(used + cpu_seconds) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (soft if cpu_hard == resource.RLIM_INFINITY else min(soft, cpu_hard),
                                                 cpu_hard))
        sink = _FrameSink(channel)
        try:
            truncated = evaluate(backend, request, sink, limits.result_bytes)
        except MemoryError:
            sink.fail(ResourceLimit(_memory_message(limits)))
            return  # the heap may be left in pieces: a fresh evaluator is forked for the next request
        except BaseException as error:
            sink.fail(error)
            continue
        served += 1
        expensive = time.process_time() - used >= TRIM_AFTER_CPU_SECONDS
        retire = False
        if expensive or served % CHECK_EVERY == 0:
            release_memory()
            # Past half its allowance an evaluator retires at once, before the limit bites a later query.
            retire = _statm_size() - baseline > limits.memory_bytes // 2
            if _private_dirty() > limits.private_bytes:
                copied_at = time.monotonic() if expensive or copied_at is None else copied_at
        # One holding its own copy of much of the store keeps it while scans keep coming (copying it again
        # would cost each of them), and retires once none came for copy_seconds: the worker forks a fresh one,
        # sharing the store again.
        if copied_at is not None and not expensive and time.monotonic() - copied_at > limits.copy_seconds:
            retire = True
        sink.end(truncated, retire)


def _memory_message(limits: EvaluatorLimits) -> str:
    return (f"the query needed more memory than its limit of {limits.memory_bytes // MiB} MiB (QUERY_MEMORY) "
            "and was stopped; narrow it down or add a LIMIT")


def _detach(channel: socket.socket) -> None:
    """Leave the worker's world: its signal handlers, its sockets (listener, client connections), its lifetime."""
    for number in WORKER_SIGNALS:
        signal.signal(number, signal.SIG_DFL)
    signal.set_wakeup_fd(-1)
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd == channel.fileno():
            continue
        try:
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                os.close(fd)
        except OSError:
            continue  # the descriptor of the listing itself, closed by now
    try:
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # die with the worker
    except (OSError, AttributeError):
        pass


def _evaluator_main(channel: socket.socket, parent: int, backend: LocalBackend | RemoteBackend,
                    limits: EvaluatorLimits) -> None:
    # Everything inherited stays alive and untouched: no collection may finalise (and close) a worker's socket.
    gc.freeze()
    _detach(channel)
    if os.getppid() != parent:
        return
    threading.stack_size(limits.stack_bytes)
    loop = threading.Thread(target=_serve, args=(channel, backend, limits), name="healthkg-evaluator", daemon=True)
    loop.start()
    loop.join()


# The worker's side.


@dataclass
class _Child:
    pid: int
    channel: socket.socket
    snapshot: Snapshot


class _Frames:
    """Frames read from the evaluator under a deadline; EOF and the deadline are reported, not raised."""

    def __init__(self, channel: socket.socket) -> None:
        self.channel = channel
        self.buffer = bytearray()

    def next(self, deadline: float) -> tuple[bytes, bytes] | None:
        """The next frame, or None when the evaluator died; raises TimeoutError at the deadline."""
        while True:
            if len(self.buffer) >= FRAME.size:
                kind, length = FRAME.unpack_from(self.buffer)
                end = FRAME.size + length
                if len(self.buffer) >= end:
                    payload = bytes(self.buffer[FRAME.size:end])
                    del self.buffer[:end]
                    return kind, payload
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            self.channel.settimeout(remaining)
            try:
                chunk = self.channel.recv(max(CHUNK_BYTES, FRAME.size + len(self.buffer)))
            except TimeoutError:
                raise
            except OSError:  # the evaluator is gone
                return None
            if not chunk:
                return None
            self.buffer += chunk


class ProcessExecutor:
    """One evaluator process per server worker, replaced whenever it is killed, dies or falls behind the graph."""

    isolated = True

    def __init__(self, limits: EvaluatorLimits, on_timeout: Callable[[], None] = lambda: None) -> None:
        self.limits = limits
        self.on_timeout = on_timeout
        self._child: _Child | None = None
        self._retiring = False  # the evaluator asked to be replaced: done by tidy(), or before the next request

    def start(self, snapshot: Snapshot) -> None:
        """Fork the evaluator now (a server worker does this when it starts), not at the first request."""
        self._replace(snapshot)

    def stop(self) -> None:
        if self._child is not None:
            self._kill(self._child)
            self._child = None

    def _replace(self, snapshot: Snapshot) -> _Child:
        self.stop()
        self._retiring = False
        parent, child = socket.socketpair()
        worker = os.getpid()
        pid = os.fork()
        if pid == 0:  # the evaluator
            code = 0
            try:
                parent.close()
                _evaluator_main(child, worker, snapshot.backend, self.limits)
            except BaseException:
                traceback.print_exc()
                code = 1
            finally:
                os._exit(code)
        child.close()
        self._child = _Child(pid, parent, snapshot)
        return self._child

    @staticmethod
    def _kill(child: _Child) -> None:
        try:
            os.kill(child.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        _reap(child.pid)
        child.channel.close()

    @property
    def evaluator(self) -> int | None:
        """The pid of the current evaluator process, if one is running."""
        return None if self._child is None else self._child.pid

    def tidy(self) -> None:
        """Replace an evaluator that asked to retire; the server calls this once a response has gone out,
        so the fork is paid between requests rather than by one."""
        if self._retiring and self._child is not None:
            self._replace(self._child.snapshot)

    def _ready(self, snapshot: Snapshot) -> _Child:
        """The evaluator for ``snapshot``: a new one if there is none, it is of another graph, it asked to
        retire, or it died idle (then no request was lost with it)."""
        child = self._child
        if child is not None and child.snapshot is snapshot and not self._retiring:
            try:
                if os.waitpid(child.pid, os.WNOHANG) == (0, 0):
                    return child
            except ChildProcessError:
                pass
            child.channel.close()
            self._child = None
        return self._replace(snapshot)

    def run(self, snapshot: Snapshot, request: Request, timeout: float) -> Answer:
        """Send ``request`` to the evaluator and read its answer until complete, large enough to stream, or late."""
        deadline = time.monotonic() + timeout
        child = self._ready(snapshot)
        message = pickle.dumps((request, math.ceil(timeout)))
        try:
            child.channel.sendall(MESSAGE.pack(len(message)) + message)
        except OSError:
            raise self._died(child, snapshot) from None  # it died since the last request
        frames = _Frames(child.channel)
        fmt = None
        head: list[bytes] = []
        size = 0
        while True:
            kind, payload = self._next(frames, deadline, child, snapshot, timeout)
            if kind == START:
                fmt = format_named(payload.decode())
            elif kind == DATA:
                head.append(payload)
                size += len(payload)
                if size >= self.limits.buffer_bytes:
                    assert fmt is not None
                    answer = Answer(fmt, head, complete=False, truncated=False)
                    stream = _Stream(self, frames, deadline, child, snapshot, timeout, answer)
                    answer.rest, answer.close = iter(stream), stream.close
                    return answer
            elif kind == END:
                self._ended(payload, child, snapshot, request)
                if fmt is None:  # an update rehearsed: no answer, only its success
                    fmt = format_named("json")
                return Answer(fmt, head, complete=True, truncated=bool(payload[0]))
            else:
                raise pickle.loads(payload)

    def _ended(self, payload: bytes, child: _Child, snapshot: Snapshot, request: Request) -> None:
        """An answer came to its end: replace an evaluator that asked to retire; end one that rehearsed an
        update (its store is no longer the worker's: the next is forked once the update is applied)."""
        if isinstance(request, UpdateRehearsal):
            self.stop()
        elif payload[1]:
            self._retiring = True

    def _next(self, frames: _Frames, deadline: float, child: _Child, snapshot: Snapshot,
              timeout: float) -> tuple[bytes, bytes]:
        try:
            frame = frames.next(deadline)
        except TimeoutError:
            self.on_timeout()
            self._replace(snapshot)  # kills the late one: its core is free again now
            raise QueryTimeout(f"the query ran longer than the limit of {timeout:g} s and was stopped; "
                               "narrow it down or add a LIMIT") from None
        if frame is None:
            raise self._died(child, snapshot)
        return frame

    def _died(self, child: _Child, snapshot: Snapshot) -> EngineError:
        """What the death of an evaluator means for its request; a replacement is forked before answering."""
        status = _reap(child.pid)
        child.channel.close()
        self._child = None
        self._replace(snapshot)
        if status is not None and os.WIFSIGNALED(status):
            number = os.WTERMSIG(status)
            if number == signal.SIGABRT:  # an allocation past RLIMIT_AS aborts the store's code
                return ResourceLimit(_memory_message(self.limits))
            if number == signal.SIGXCPU:
                return ResourceLimit("the query used more CPU time than its time limit and was stopped")
            if number == signal.SIGKILL:
                return ResourceLimit("the evaluation was killed from outside (out of memory or CPU time)")
            return EvaluationCrashed(f"the evaluator process died of {signal.Signals(number).name}")
        return EvaluationCrashed(f"the evaluator process ended unexpectedly (status {status})")


def _reap(pid: int) -> int | None:
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:
        return None


class _Stream:
    """The rest of an answer too large to hand over whole, read as the client takes it."""

    def __init__(self, executor: ProcessExecutor, frames: _Frames, deadline: float, child: _Child,
                 snapshot: Snapshot, timeout: float, answer: Answer) -> None:
        self.executor, self.frames, self.deadline = executor, frames, deadline
        self.child, self.snapshot, self.timeout, self.answer = child, snapshot, timeout, answer
        self.finished = False

    def __iter__(self) -> Iterator[bytes]:
        while True:
            try:
                kind, payload = self.executor._next(self.frames, self.deadline, self.child, self.snapshot,
                                                    self.timeout)
            except QueryTimeout as error:
                self.finished = True
                raise StreamAborted(f"query output stopped at the {self.timeout:g} s limit", error) from None
            except EngineError as error:
                self.finished = True
                raise StreamAborted(f"query failed while streaming: {error}", error) from None
            if kind == DATA:
                yield payload
            elif kind == END:
                self.finished = True
                self.answer.truncated = bool(payload[0])
                if payload[1]:
                    self.executor._retiring = True
                return
            else:
                self.finished = True
                failure = pickle.loads(payload)
                log.error("query failed while its result was streaming: %s", failure)
                cause = failure if isinstance(failure, EngineError) else EngineError(str(failure))
                raise StreamAborted(f"query failed while streaming: {failure}", cause)

    def close(self) -> None:
        """The caller stopped reading (a client gone): an evaluator still writing is replaced."""
        if not self.finished:
            self.finished = True
            self.executor._replace(self.snapshot)
