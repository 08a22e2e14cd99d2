"""Content negotiation: which of our formats a client's ``Accept`` header prefers (RFC 9110 §12.5.1).

Each media range in the header carries a quality (``q``, default 1); a format
takes the quality of the most specific range that matches it (``type/subtype``
over ``type/*`` over ``*/*``), so ``text/csv;q=0, */*`` means "anything but
CSV". The highest quality wins; ties go to the server's order of preference,
whose first entry (SPARQL JSON for results, Turtle for graphs) is also the
answer when there is no ``Accept`` header at all. Formats are chosen before
any evaluation, so a query no format fits is refused (406) without running.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from healthkg.engine.backends import FormatChoice
from healthkg.engine.formats import GRAPH_FORMATS, RESULT_FORMATS, Format
from healthkg.server.errors import BadRequest, NotAcceptableError


class AcceptHeaderError(ValueError):
    """An Accept header that cannot be read (e.g. a quality that is not a number)."""


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    quality: float

    @property
    def specificity(self) -> int:
        return (self.type != "*") + (self.subtype != "*")

    def matches(self, media_type: str) -> bool:
        kind, _, sub = media_type.partition("/")
        return self.type in ("*", kind) and self.subtype in ("*", sub)


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an Accept header; an absent or empty header accepts everything."""
    if not header or not header.strip():
        return [MediaRange("*", "*", 1.0)]
    ranges = []
    for item in header.split(","):
        if not item.strip():
            continue
        media, *params = (part.strip() for part in item.split(";"))
        kind, slash, sub = media.lower().partition("/")
        if not slash or not kind or not sub:
            raise AcceptHeaderError(f"{media!r} is not a media range (type/subtype)")
        if kind == "*" and sub != "*":
            raise AcceptHeaderError(f"{media!r} is not a media range (*/{sub} is not allowed)")
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value.strip())
                except ValueError as error:
                    raise AcceptHeaderError(f"quality {value.strip()!r} of {media!r} is not a number") from error
                if not 0 <= quality <= 1:
                    raise AcceptHeaderError(f"quality {quality} of {media!r} is outside 0..1")
                break  # parameters after q are accept-extensions, not media type parameters
        ranges.append(MediaRange(kind, sub, quality))
    return ranges


def quality(ranges: Sequence[MediaRange], fmt: Format) -> float:
    """The quality the client gives a format: through its media type, or an alias named exactly.

    Aliases (``text/xml`` for SPARQL XML) do not match wildcards, so ``text/*``
    means the text formats proper (CSV, TSV), not XML results.
    """
    best = 0.0
    matching = [r for r in ranges if r.matches(fmt.media_type)]
    if matching:
        top = max(r.specificity for r in matching)
        best = max(r.quality for r in matching if r.specificity == top)
    for alias in fmt.aliases:
        exact = [r.quality for r in ranges if r.specificity == 2 and r.matches(alias)]
        if exact:
            best = max(best, max(exact))
    return best


def negotiate(ranges: Sequence[MediaRange], formats: Sequence[Format]) -> Format | None:
    """The client's preferred format among ``formats`` (in server order), or None when none is acceptable."""
    chosen, chosen_quality = None, 0.0
    for fmt in formats:
        q = quality(ranges, fmt)
        if q > chosen_quality:
            chosen, chosen_quality = fmt, q
    return chosen


@lru_cache(maxsize=256)
def choose_formats(accept: str | None) -> FormatChoice:
    """The formats an Accept header prefers, per kind of result (400 when unreadable); clients send few headers."""
    ranges = _ranges(accept)
    return FormatChoice(negotiate(ranges, RESULT_FORMATS), negotiate(ranges, GRAPH_FORMATS))


def graph_format(accept: str | None) -> Format:
    """The graph format an Accept header prefers, or 406: for resources that are RDF graphs."""
    fmt = negotiate(_ranges(accept), GRAPH_FORMATS)
    if fmt is None:
        raise NotAcceptableError("this resource is RDF: " + ", ".join(f.media_type for f in GRAPH_FORMATS))
    return fmt


def _ranges(accept: str | None) -> list[MediaRange]:
    try:
        return parse_accept(accept)
    except AcceptHeaderError as error:
        raise BadRequest(f"Accept header: {error}") from None
