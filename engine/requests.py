"""What the engine is asked, and what it answers.

A request is plain data (strings, tuples, numbers, format names), never a
store or a callback: whatever evaluates it (a worker thread today) could as
well be a process of its own that can be killed, with the request sent over a
pipe. An answer is bytes in a named format, delivered whole or in chunks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

from healthkg.engine.backends import Dataset
from healthkg.engine.errors import StreamAborted
from healthkg.engine.formats import Format


@dataclass(frozen=True)
class Query:
    """A SPARQL query to answer, in the first of the formats the caller takes for its kind of result.

    ``results_format`` (SELECT, ASK) and ``graph_format`` (CONSTRUCT, DESCRIBE) name
    formats of :mod:`healthkg.engine.formats`; None where the caller takes none.
    ``max_rows`` cuts the answer (None: no cap); ``timeout`` is the caller's deadline
    in seconds (None: the engine's default).
    """

    text: str
    dataset: Dataset = Dataset()
    results_format: str | None = "json"
    graph_format: str | None = "turtle"
    max_rows: int | None = None
    timeout: float | None = None


@dataclass(frozen=True)
class GraphRead:
    """One graph of the embedded store as it is (the Graph Store Protocol's GET); ``graph`` None: the default."""

    graph: str | None
    format: str
    timeout: float | None = None


@dataclass(frozen=True)
class UpdateRehearsal:
    """A SPARQL update run where its cost cannot hurt (an evaluator that is discarded afterwards), to learn
    that it ends within the deadline and memory limit before the served store runs it."""

    text: str
    base_iri: str | None = None
    timeout: float | None = None


Request = Query | GraphRead | UpdateRehearsal


@dataclass
class Answer:
    """An answer as the server sends it: its format, the bytes so far, and the rest to stream.

    ``complete`` answers are whole in ``head``. Otherwise ``chunks()`` yields the rest as the
    evaluation produces it, raising :class:`~healthkg.engine.errors.StreamAborted` if it stops
    short; ``truncated`` of such an answer is known only once ``chunks()`` has run out.
    ``close`` must be called when the caller is done with an incomplete answer. ``cache`` says how
    the result cache served it: ``hit``, ``miss`` or ``bypass``.
    """

    fmt: Format
    head: list[bytes]
    complete: bool
    truncated: bool
    rest: Iterator[bytes] = field(default_factory=lambda: iter(()))
    close: Callable[[], None] = lambda: None
    cache: str = "bypass"

    @property
    def body(self) -> bytes:
        """The bytes received so far: the whole answer when ``complete``."""
        return b"".join(self.head)

    def chunks(self) -> Iterator[bytes]:
        yield from self.head
        yield from self.rest

    def read(self) -> bytes:
        """The whole answer; raises what stopped it (:class:`~healthkg.engine.errors.QueryTimeout` at the deadline)."""
        if self.complete:
            return self.body
        try:
            return b"".join(self.chunks())
        except StreamAborted as error:
            raise error.cause from None
        finally:
            self.close()

    def whole(self) -> Answer:
        """This answer read to the end, as a complete one (for callers that need all of it before responding)."""
        if self.complete:
            return self
        body = self.read()
        return replace(self, head=[body], complete=True, rest=iter(()), close=lambda: None)
