"""What a query or update must satisfy before it reaches pyoxigraph: size limits and the endpoints it may call.

pyoxigraph's parser recurses: a text nested deep enough, or with enough terms
in a chain (``1+1+…``, ``{} UNION {} …``, ``OPTIONAL {} …``), overflows its
stack and kills the process, and some shapes cost time exponential in their
depth. The evaluator process runs with a large stack and is killed at its
deadline, so such a text costs at most its own request; this guard turns the
obvious cases into a 400 that names the limit, before any evaluation.
Thresholds measured on pyoxigraph are in bench/RESULTS.md.

``SERVICE`` (in queries and updates) and ``LOAD`` (in updates) make the store
fetch a URL. Each is allowed only when its target, resolved as the parser
resolves it (prefixed names through the text's ``PREFIX`` declarations), is
an absolute IRI named in the allow-list; a variable, a relative IRI or a name
the guard cannot resolve is refused. The allow-list is empty unless
configured, so by default the server connects to nobody a client names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import accumulate

from healthkg.engine.errors import QueryRefused, ServiceNotAllowed
from healthkg.engine.query_form import shape, significant_tokens

OPENING = frozenset("{([")
CLOSING = frozenset("})]")
FETCHING = ("SERVICE", "LOAD")
ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_UCHAR = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_LOCAL_ESCAPE = re.compile(r"\\(.)")
_NOT_BRACKET = re.compile(r"[^{}()\[\]]+")
_FETCHING_WORD = re.compile(r"(?<![\w$?])(?:SERVICE|LOAD)(?!\w)", re.IGNORECASE)


@dataclass(frozen=True)
class QueryLimits:
    """The largest text the engine hands to its parser; the names are the server's settings."""

    max_chars: int = 512 * 1024  # MAX_QUERY_CHARS
    max_tokens: int = 20_000  # MAX_QUERY_TOKENS
    max_depth: int = 128  # MAX_QUERY_DEPTH: brackets of all kinds, { ( [


def _iri(token: str) -> str:
    """An IRI token's text with its \\u escapes decoded, as the parser reads it."""
    return _UCHAR.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), token[1:-1])


def check(text: str, limits: QueryLimits, endpoints: frozenset[str] = frozenset()) -> None:
    """Raise :class:`QueryRefused` past a limit, :class:`ServiceNotAllowed` for a target not in ``endpoints``.

    Most texts are checked on their template (comments gone, strings and IRIs replaced: read once
    and cached for the engine anyway) with a few C-level counts; the token-by-token reading runs only
    for a text long enough to have too many terms, with enough brackets to nest too deep, or that
    names SERVICE or LOAD.
    """
    if len(text) > limits.max_chars:
        raise QueryRefused(f"the text has {len(text):,} characters; this server takes at most "
                           f"{limits.max_chars:,} (MAX_QUERY_CHARS)")
    template = shape(text).template
    if len(template) > limits.max_tokens:  # every term or symbol is at least one character of the template
        _count(text, limits)
    if sum(template.count(bracket) for bracket in OPENING) > limits.max_depth:
        _depth(template, limits)
    if _FETCHING_WORD.search(template):
        _targets(text, endpoints)


def _count(text: str, limits: QueryLimits) -> None:
    for count, _ in enumerate(significant_tokens(text), start=1):
        if count > limits.max_tokens:
            raise QueryRefused(f"the text has more than {limits.max_tokens:,} terms and symbols; this server takes "
                               f"at most {limits.max_tokens:,} (MAX_QUERY_TOKENS)")


def _depth(template: str, limits: QueryLimits) -> None:
    """The deepest nesting of brackets outside strings, IRIs and comments (the template has none of those)."""
    brackets = _NOT_BRACKET.sub("", template)
    if max(accumulate(1 if b in OPENING else -1 for b in brackets), default=0) > limits.max_depth:
        raise QueryRefused(f"brackets nest deeper than {limits.max_depth} levels; this server takes at "
                           f"most {limits.max_depth} (MAX_QUERY_DEPTH)")


def _targets(text: str, endpoints: frozenset[str]) -> None:
    """Every SERVICE and LOAD target, resolved through the PREFIX declarations before it, must be allowed."""
    prefixes: dict[str, str | None] = {}
    fetching: str | None = None  # the keyword whose target comes next
    declaring: str | None = None  # the prefix name whose IRI comes next
    tokens = significant_tokens(text)
    for kind, value in tokens:
        if declaring is not None:
            prefixes[declaring] = _iri(value) if kind == "iri" and ABSOLUTE.match(_iri(value)) else None
            declaring = None
        elif fetching is not None:
            if kind == "word" and value.upper() == "SILENT":
                continue
            _allowed(fetching, kind, value, prefixes, endpoints)
            fetching = None
        elif kind == "word" and value.upper() in FETCHING:
            fetching = value.upper()
        elif kind == "word" and value.upper() == "PREFIX":
            following_kind, following = next(tokens, ("", ""))
            # An unreadable declaration declares nothing: a name it was meant to give is then refused.
            declaring = following[:-1] if following_kind == "pname" and following.endswith(":") else None
    if fetching is not None:
        raise ServiceNotAllowed(f"{fetching} without a target")


def _allowed(keyword: str, kind: str, value: str, prefixes: dict[str, str | None],
             endpoints: frozenset[str]) -> None:
    target: str | None = None
    if kind == "iri":
        target = _iri(value)
    elif kind == "pname":
        prefix, _, local = value.partition(":")
        namespace = prefixes.get(prefix)
        target = None if namespace is None else namespace + _LOCAL_ESCAPE.sub(r"\1", local)
    if target is None or not ABSOLUTE.match(target):
        raise ServiceNotAllowed(f"{keyword} needs the absolute IRI of an allowed endpoint, not {value!r} "
                                "(SERVICE_ENDPOINTS)")
    if target not in endpoints:
        allowed = ", ".join(sorted(endpoints)) or "none"
        raise ServiceNotAllowed(f"{keyword} <{target}> is not allowed on this server; allowed endpoints: {allowed} "
                                "(SERVICE_ENDPOINTS)")
