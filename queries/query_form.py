"""What kind of SPARQL request a text is, read from its keywords without evaluating it.

The server must choose a response format (and refuse with 406) before any
evaluation starts, and must know whether the query names its own dataset
(``FROM``/``FROM NAMED``): pyoxigraph's union-default-graph option would
silently override such a clause. Neither pyoxigraph nor the remote engines
expose a parse tree, so this module tokenises just enough of the SPARQL
grammar (comments, strings, IRIs, variables, prefixed names) to find the
keywords outside them. Syntax errors are left to the engine's parser, which
reports them with their position.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

QUERY_FORMS = ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK")
# A request reads its text's shape up to three times (server, dataset check, prefixes);
# texts up to this size are tokenised once. Longer ones are rare and not worth the memory.
CACHED_TEXT_CHARS = 16_384
UPDATE_KEYWORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH")

_TOKEN = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<comment>\#[^\n]*)
    | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
        |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<variable>[?$][\w\u00b7\u0300-\u036f\u203f-\u2040]+)
    | (?P<pname>[\w.-]*:[\w.:%\\-]*)
    | (?P<word>[A-Za-z_]\w*)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
# The same grammar without white space: the regex engine skips it, so reading a
# query's shape costs a Python step per token, not per token and per gap.
_SIGNIFICANT = re.compile(_TOKEN.pattern.replace(r"(?P<space>\s+)", r"(?P<space>(?!))").replace(
    "(?P<other>.)", r"(?P<other>\S)"), re.VERBOSE | re.DOTALL)
# Token kinds that carry values rather than structure: replaced in a query's template.
_VALUE_KINDS = {"string": "'…'", "iri": "<…>"}


@dataclass(frozen=True)
class QueryShape:
    """The first keyword after the prologue and the features found anywhere in the text."""

    form: str | None
    dataset_clause: bool = False
    service: bool = False
    prefixes: dict[str, str] = field(default_factory=dict)
    # The text without comments, its IRIs and strings replaced by placeholders: queries that
    # differ only in the entity or label they ask about share it (and usually their cost).
    template: str = ""

    @property
    def is_graph(self) -> bool:
        return self.form in ("CONSTRUCT", "DESCRIBE")

    @property
    def is_update(self) -> bool:
        return self.form in UPDATE_KEYWORDS


def lex(text: str) -> Iterator[tuple[str, str]]:
    """Every token with its kind, white space and comments included: joined, they are the text."""
    for match in _TOKEN.finditer(text):
        yield match.lastgroup or "other", match.group()


def _tokens(text: str) -> Iterator[tuple[str, str]]:
    for match in _SIGNIFICANT.finditer(text):
        kind = match.lastgroup or "other"
        if kind != "comment":
            yield kind, match.group()


def shape(text: str) -> QueryShape:
    """The shape of ``text``; callers share the cached result, so they must not change its prefixes."""
    return _cached_shape(text) if len(text) <= CACHED_TEXT_CHARS else _read_shape(text)


@lru_cache(maxsize=1024)
def _cached_shape(text: str) -> QueryShape:
    return _read_shape(text)


def _read_shape(text: str) -> QueryShape:
    tokens = list(_tokens(text))
    words = [value.upper() for kind, value in tokens if kind == "word"]
    prefixes: dict[str, str] = {}
    form = None
    index = 0
    while index < len(tokens):
        kind, value = tokens[index]
        upper = value.upper()
        if kind == "word" and upper == "PREFIX" and index + 2 < len(tokens):
            (name_kind, name), (iri_kind, iri) = tokens[index + 1], tokens[index + 2]
            if name_kind == "pname" and name.endswith(":") and iri_kind == "iri":
                prefixes[name[:-1]] = iri[1:-1]
            index += 3
            continue
        if kind == "word" and upper == "BASE":
            index += 2
            continue
        if kind == "word" and (upper in QUERY_FORMS or upper in UPDATE_KEYWORDS):
            form = upper
        break
    template = " ".join(_VALUE_KINDS.get(kind, value) for kind, value in tokens)
    return QueryShape(form=form, dataset_clause="FROM" in words, service="SERVICE" in words, prefixes=prefixes,
                      template=template)
