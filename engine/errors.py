"""What can go wrong answering a request, as types: the server maps them to statuses, the CLI to messages.

Each carries only its message (and a word or two of plain data), so an
evaluation running in another process can raise one across a pipe and the
caller sees the same error as if it had run here.
"""

from __future__ import annotations

from healthkg.engine.formats import GRAPH_FORMATS, RESULT_FORMATS

RETRY_AFTER_SECONDS = 5


class EngineError(Exception):
    """Base of the engine's errors; ``str(error)`` is a message fit for the client."""


class MalformedQuery(EngineError):
    """The text does not parse; the message carries the parser's line and column."""


class NotAcceptable(EngineError):
    """The query's kind of result (``results`` or ``graph``) has no format the caller accepts."""

    def __init__(self, kind: str) -> None:
        offered = RESULT_FORMATS if kind == "results" else GRAPH_FORMATS
        what = "a result set (SELECT, ASK)" if kind == "results" else "a graph (CONSTRUCT, DESCRIBE)"
        super().__init__(f"the query answers with {what}, available as " + ", ".join(f.media_type for f in offered))
        self.kind = kind

    def __reduce__(self) -> tuple[type[NotAcceptable], tuple[str]]:
        return NotAcceptable, (self.kind,)


class QueryRefused(EngineError):
    """The text is larger or deeper than the parser is given; the message names the limit and its setting."""


class ServiceNotAllowed(EngineError):
    """SERVICE or LOAD names an endpoint that is not in the allow-list (or one the guard cannot resolve)."""


class NotAQuery(EngineError):
    """An update was sent where a query was expected."""


class QueryTimeout(EngineError):
    """The answer was not ready in time (or no worker was free to start it); worth retrying later."""


class ResourceLimit(EngineError):
    """The evaluation was stopped at its memory or CPU limit, or its answer outgrew the result limit."""


class EvaluationCrashed(EngineError):
    """The process evaluating the query died (a crash inside the store); it was replaced, and only this request
    failed. The message is for the log; the client gets a plain 500."""


class StreamAborted(EngineError):
    """An answer whose first bytes are already out stopped (time limit, failure): the response must be cut off.

    ``cause`` is the error the answer would have been had it stopped before its first bytes, so a caller that
    reads the whole answer first reports that (a deadline, a result limit, a crash) rather than one for all."""

    def __init__(self, message: str, cause: EngineError) -> None:
        super().__init__(message)
        self.cause = cause


class BackendError(EngineError):
    """The store failed or a remote endpoint could not be reached; not the caller's fault."""


class BackendTimeout(BackendError):
    """A remote endpoint did not answer in time."""


class EmbeddedStoreRequired(EngineError):
    """An operation on the store itself (writes, graph reads, dumps) asked of a server over a remote endpoint."""


class GraphNotFound(EngineError):
    """The named graph an operation needs does not exist."""


class UnsupportedPayload(EngineError):
    """A body to store is in a format the store does not take."""


class MalformedPayload(EngineError):
    """A body to store does not parse, or is not what the operation takes."""
