"""Named SPARQL queries: ``.rq`` files with a YAML header, bound to typed parameters.

A header is the file's leading ``#+`` lines, parsed as YAML::

    #+ summary: Budget lines
    #+ description: One row per budget line ...
    #+ params:
    #+   - name: fiscal_year
    #+     type: integer
    #+     description: Only this fiscal year (e.g. 2020)
    #+ columns: [project, fiscal_year, ...]
    #+ example: healthkg query --name budget-lines --param fiscal_year=2020

Parameter ``x`` binds the query variable ``?_x`` as a typed RDF term: the
value is parsed by its declared type and the term, serialised by pyoxigraph,
takes the variable's place (see :meth:`NamedQuery.render`); raw user text never
reaches the query. An unset optional parameter leaves
``?_x`` unbound, which the queries read as "any".

A parameter of type ``entity`` names a thing of the graph (``class:`` says of
which class): an IRI, a CURIE, a Japanese or English label, an alternative label
or a code. Turning a name into its IRI needs the graph, so :meth:`NamedQuery.render`
takes a resolver (:class:`healthkg.queries.entities.EntityResolver`); without one
only IRIs are accepted.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pyoxigraph import Literal, NamedNode

from healthkg.engine.prefixes import expand
from healthkg.engine.query_form import lex, shape
from healthkg.engine.search import search_pattern

XSD = "http://www.w3.org/2001/XMLSchema#"
_TOP_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)
_ABSOLUTE_IRI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s<>\"{}|\\^`]*$")


class QueryFileError(ValueError):
    """A named query file whose header cannot be read; names the file."""


class ParameterError(ValueError):
    """A parameter value that does not fit its declared type, or an unknown parameter."""


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str = "string"
    description: str = ""
    default: str | None = None
    required: bool = False
    enum: tuple[str, ...] = ()
    kind: str | None = None  # for an entity parameter: the IRI of the class its value must be of

    def term(self, raw: str, resolve: Resolver | None = None) -> Literal | NamedNode:
        if self.enum and raw not in self.enum:
            raise ParameterError(f"{self.name}: {raw!r} is not one of {', '.join(self.enum)}")
        if self.type == "entity":
            if resolve is not None:
                return resolve(self, raw)
            if not _ABSOLUTE_IRI.match(raw):
                raise ParameterError(f"{self.name}: {raw!r} is not an IRI, and names are resolved against the graph")
            return NamedNode(raw)
        try:
            if self.type == "iri":
                if not _ABSOLUTE_IRI.match(raw):
                    raise ValueError("not an absolute IRI")
                return NamedNode(raw)
            if self.type == "integer":
                return Literal(str(int(raw)), datatype=NamedNode(XSD + "integer"))
            if self.type == "decimal":
                return Literal(str(Decimal(raw)), datatype=NamedNode(XSD + "decimal"))
            if self.type == "boolean":
                if raw.lower() not in ("true", "false"):
                    raise ValueError("expected true or false")
                return Literal(raw.lower(), datatype=NamedNode(XSD + "boolean"))
            if self.type == "date":
                return Literal(date.fromisoformat(raw).isoformat(), datatype=NamedNode(XSD + "date"))
            if self.type == "string":
                return Literal(raw)
            if self.type == "search":
                return Literal(search_pattern(raw))
        except (ValueError, InvalidOperation) as error:
            raise ParameterError(f"{self.name}: {raw!r} is not a valid {self.type} ({error})") from error
        raise ParameterError(f"{self.name}: unknown parameter type {self.type!r}")


Resolver = Callable[[Parameter, str], NamedNode]
"""Turns the value of an entity parameter into the IRI it names, or raises ParameterError with the closest names."""


@dataclass(frozen=True)
class NamedQuery:
    name: str
    text: str
    summary: str
    description: str = ""
    params: tuple[Parameter, ...] = ()
    columns: tuple[str, ...] = ()
    example: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def kind(self) -> str:
        """The query form, read by the same tokeniser the server uses (comments and strings skipped)."""
        return shape(self.text).form or "SELECT"

    def bind(self, values: dict[str, str], resolve: Resolver | None = None) -> dict[str, Literal | NamedNode]:
        """Typed terms for the given raw values plus defaults; raises on unknown or missing ones."""
        known = {p.name: p for p in self.params}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ParameterError(
                f"{self.name} has no parameter {', '.join(unknown)} (it takes: {', '.join(known) or 'none'})"
            )
        bound = {}
        for parameter in self.params:
            raw = values.get(parameter.name, parameter.default)
            if raw is None or raw == "":
                if parameter.required:
                    raise ParameterError(f"{self.name}: parameter {parameter.name} is required")
                continue
            bound[parameter.name] = parameter.term(str(raw), resolve)
        return bound

    def render(self, values: dict[str, str], resolve: Resolver | None = None) -> str:
        """The query text with each bound parameter's typed term in place of its variable.

        The term is built from the value by its declared type and serialised by
        pyoxigraph (IRIs validated, literals escaped), so a value can never change
        the query's structure. Writing it in place rather than joining a VALUES
        block lets the engine use it for index lookups: with VALUES at the top of
        WHERE a point lookup ran ~70x slower on 100k triples (bench/RESULTS.md).
        ``BOUND(?_x)`` becomes ``true``. A variable the query projects or assigns
        cannot take a constant and is bound through VALUES instead.
        ``resolve`` turns names given for entity parameters into IRIs.
        """
        bound = self.bind(values, resolve)
        text, by_values = self.text, {}
        for name, term in bound.items():
            if _projected_or_assigned(text, name):
                by_values[name] = term
            else:
                text = _write_in_place(text, name, str(term))
        if not by_values:
            return text
        match = _TOP_WHERE.search(text)
        if match is None:
            raise QueryFileError(f"{self.name}: parameters need a WHERE clause to bind into")
        names = " ".join(f"?_{name}" for name in by_values)
        row = " ".join(str(term) for term in by_values.values())
        # Same line as the WHERE brace, so error positions keep their line numbers.
        return f"{text[: match.end()]} VALUES ({names}) {{ ({row}) }} {text[match.end() :]}"


def _write_in_place(text: str, name: str, term: str) -> str:
    """``?_name`` replaced by ``term`` and ``BOUND(?_name)`` by ``true``, read with the server's lexer

    so that strings, IRIs and comments that mention the variable are left as they are.
    """
    tokens = list(lex(text))
    variables = {f"?_{name}", f"$_{name}"}
    out: list[str] = []
    index = 0
    while index < len(tokens):
        kind, value = tokens[index]
        if kind == "word" and value.upper() == "BOUND":
            significant = [(i, v) for i, (k, v) in enumerate(tokens[index + 1 :], index + 1) if k != "space"][:3]
            if [v for _, v in significant] in ([["(", variable, ")"] for variable in variables]):
                out.append("true")
                index = significant[-1][0] + 1
                continue
        out.append(term if kind == "variable" and value in variables else value)
        index += 1
    return "".join(out)


def _projected_or_assigned(text: str, name: str) -> bool:
    variable = rf"[?$]_{name}\b"
    return bool(
        re.search(rf"\bAS\s+{variable}", text, re.IGNORECASE)
        or re.search(rf"\bSELECT\b[^{{]*?{variable}", text, re.IGNORECASE)
    )


def parse_query(text: str, name: str, *, require_summary: bool = True, source: str | None = None) -> NamedQuery:
    """A query and its ``#+`` header; catalogue queries must say what they answer (a summary)."""
    source = source or f"{name}.rq"
    header_lines = []
    for line in text.splitlines():
        if line.startswith("#+"):
            header_lines.append(line[3:] if line.startswith("#+ ") else line[2:])
        elif line.strip() and not header_lines:
            break
        elif header_lines and not line.startswith("#+"):
            break
    try:
        header: dict[str, Any] = yaml.safe_load("\n".join(header_lines)) or {}
    except yaml.YAMLError as error:
        raise QueryFileError(f"{source}: header is not valid YAML: {error}") from error
    if "summary" not in header and require_summary:
        raise QueryFileError(f"{source}: header has no summary")
    params = tuple(
        Parameter(
            name=str(p["name"]),
            type=str(p.get("type", "string")),
            description=str(p.get("description", "")),
            default=None if p.get("default") is None else str(p["default"]),
            required=bool(p.get("required", False)),
            enum=tuple(str(v) for v in p.get("enum", ())),
            kind=_class_iri(p.get("class"), source),
        )
        for p in header.get("params") or ()
    )
    return NamedQuery(
        name=name,
        text=text,
        summary=str(header.get("summary", name)),
        description=str(header.get("description", "")).strip(),
        params=params,
        columns=tuple(header.get("columns") or ()),
        example=str(header.get("example", "")),
        tags=tuple(header.get("tags") or ()),
    )


def _class_iri(value: object, source: str) -> str | None:
    """The class of an entity parameter, written as a CURIE (hkg:IntegratedProject) or an IRI."""
    if value is None:
        return None
    text = str(value)
    iri = expand(text) if not text.startswith(("http://", "https://")) else text
    if iri is None:
        raise QueryFileError(f"{source}: parameter class {text!r} is not a known CURIE or an IRI")
    return iri


def load_query_file(path: Path) -> NamedQuery:
    """An ad-hoc query file: the header is optional, errors name the file's path."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise QueryFileError(f"{path}: cannot read: {error}") from error
    return parse_query(text, path.stem, require_summary=False, source=str(path))


@cache
def catalogue() -> dict[str, NamedQuery]:
    """Every named query shipped in this package, by name."""
    folder = resources.files("healthkg.queries")
    found = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".rq"):
            name = entry.name[:-3]
            found[name] = parse_query(entry.read_text(encoding="utf-8"), name)
    return found
