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
# texts up to this size are read once. Longer ones are rare and not worth the memory.
CACHED_TEXT_CHARS = 16_384
UPDATE_KEYWORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH")

_TOKEN = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<comment>\#[^\r\n]*)
    | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
        |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
    | (?P<iri><(?:[^<>"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>)
    | (?P<escape>\\.)
    | (?P<variable>[?$][\w\u00b7\u0300-\u036f\u203f-\u2040]+)
    | (?P<pname>(?<![\w.-])[\w.-]*:(?:[\w.:%-]|\\.)*)
    | (?P<word>[A-Za-z_]\w*)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
# The same grammar without white space: the regex engine skips it, so reading a
# query's shape costs a Python step per token, not per token and per gap.
_SIGNIFICANT = re.compile(_TOKEN.pattern.replace(r"(?P<space>\s+)", r"(?P<space>(?!))").replace(
    "(?P<other>.)", r"(?P<other>\S)"), re.VERBOSE | re.DOTALL)
# Token kinds that carry values rather than structure: replaced in a query's template. The
# placeholders hold no quote, ``#`` or backslash, so they cannot pair with anything left around them.
_VALUE_KINDS = {"string": " «…» ", "iri": " <…> ", "comment": " "}
# Only the tokens whose text may hold other tokens' characters: comments, strings, IRIs, and
# backslash escapes (a prefixed name may escape a quote or ``#``: ``ex:a\'b``), in the tokeniser's
# order. No variable, name or keyword holds ``#``, a quote or ``<`` other than escaped, so this
# scan finds the same comments, strings and IRIs as the full tokeniser, without a Python step per
# token: a new text's template costs one ``re.sub`` (bench/RESULTS.md).
_VALUES = re.compile(_TOKEN.pattern[_TOKEN.pattern.index("(?P<comment>"):_TOKEN.pattern.index("| (?P<variable>")],
                     re.VERBOSE | re.DOTALL)


def _placeholder(match: re.Match[str]) -> str:
    return _VALUE_KINDS.get(match.lastgroup or "", match.group())  # escapes stay as they are


@dataclass(frozen=True)
class QueryShape:
    """The first keyword after the prologue and the features found anywhere in the text."""

    form: str | None
    dataset_clause: bool = False
    service: bool = False
    # The text without comments, its IRIs and strings replaced by placeholders and each run of
    # white space made one space (tokens that touch stay touching): queries that differ only in the entity
    # or label they ask about share it
    # (and usually their cost), and so share everything above, which is read from it.
    template: str = ""
    text: str = field(default="", repr=False, compare=False)

    @property
    def prefixes(self) -> dict[str, str]:
        """The prologue's prefix declarations, read on demand: only graph serialisation needs them."""
        if (declared := self.__dict__.get("_prefixes")) is None:
            declared = {}
            _after_prologue(list(significant_tokens(self.text)), declared)
            object.__setattr__(self, "_prefixes", declared)  # a cache, not a change: the shape is frozen
        return declared

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


def significant_tokens(text: str) -> Iterator[tuple[str, str]]:
    """The tokens of ``text`` without white space and comments, in order."""
    for match in _SIGNIFICANT.finditer(text):
        kind = match.lastgroup or "other"
        if kind != "comment":
            yield kind, match.group()


def template_of(text: str) -> str:
    """``text`` with comments dropped, IRIs and strings replaced by placeholders, and white space collapsed."""
    return " ".join(_VALUES.sub(_placeholder, text).split())


def shape(text: str) -> QueryShape:
    """The shape of ``text``; callers share the cached result, so they must not change its prefixes."""
    if len(text) > CACHED_TEXT_CHARS:
        return _shape_of(text, template_of(text))
    return _cached_shape(text)


@lru_cache(maxsize=1024)
def _cached_shape(text: str) -> QueryShape:
    return _shape_of(text, template_of(text))


def _shape_of(text: str, template: str) -> QueryShape:
    form, dataset_clause, service = (
        _cached_structure(template) if len(template) <= CACHED_TEXT_CHARS else _read_structure(template)
    )
    return QueryShape(form=form, dataset_clause=dataset_clause, service=service, template=template, text=text)


@lru_cache(maxsize=1024)
def _cached_structure(template: str) -> tuple[str | None, bool, bool]:
    return _read_structure(template)


def _read_structure(template: str) -> tuple[str | None, bool, bool]:
    """The query form (the first keyword after the prologue) and whether FROM and SERVICE occur."""
    tokens = list(significant_tokens(template))
    words = [value.upper() for kind, value in tokens if kind == "word"]
    form = None
    if (index := _after_prologue(tokens)) < len(tokens):
        kind, value = tokens[index]
        if kind == "word" and (value.upper() in QUERY_FORMS or value.upper() in UPDATE_KEYWORDS):
            form = value.upper()
    return form, "FROM" in words, "SERVICE" in words


def _after_prologue(tokens: list[tuple[str, str]], declared: dict[str, str] | None = None) -> int:
    """The index of the first token after the PREFIX and BASE declarations, which go into ``declared``."""
    index = 0
    while index < len(tokens) and tokens[index][0] == "word" and tokens[index][1].upper() in ("PREFIX", "BASE"):
        if tokens[index][1].upper() == "BASE":
            index += 2
            continue
        if declared is not None and index + 2 < len(tokens):
            (name_kind, name), (iri_kind, iri) = tokens[index + 1], tokens[index + 2]
            if name_kind == "pname" and name.endswith(":") and iri_kind == "iri":
                declared[name[:-1]] = iri[1:-1]
        index += 3
    return index
