"""SPARQL 1.1 query results written row by row: JSON, XML, CSV and TSV.

pyoxigraph serialises a whole result set in one call, which can neither stop
at a row cap nor hand out chunks while a slow query is still running. These
writers pull one solution at a time, so a server can stream, cap and abandon
a result at any row. JSON comes out byte for byte as pyoxigraph writes it, so
an answer does not depend on which of the two wrote it (see
``LocalBackend.stream``). Formats follow the W3C result specifications:
https://www.w3.org/TR/sparql11-results-json/, https://www.w3.org/TR/rdf-sparql-XMLres/
and https://www.w3.org/TR/sparql11-results-csv-tsv/.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from json.encoder import encode_basestring as _json_string
from xml.sax.saxutils import escape, quoteattr

from pyoxigraph import BlankNode, Literal, NamedNode, QuerySolution, Triple

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
CHUNK_BYTES = 64 * 1024
WRITTEN_FORMATS = ("json", "xml", "csv", "tsv")

Term = NamedNode | BlankNode | Literal | Triple


def _json_term(term: Term) -> str:
    """One term as a JSON object, written by hand: about twice as fast as json.dumps per row."""
    if type(term) is NamedNode:
        return '{"type":"uri","value":' + _json_string(term.value) + "}"
    if type(term) is Literal:
        if term.language:
            direction = ',"its:dir":' + _json_string(term.direction.value) if term.direction else ""
            return ('{"type":"literal","value":' + _json_string(term.value)
                    + ',"xml:lang":' + _json_string(term.language) + direction + "}")
        datatype = term.datatype.value
        if datatype == XSD_STRING:
            return '{"type":"literal","value":' + _json_string(term.value) + "}"
        return '{"type":"literal","value":' + _json_string(term.value) + ',"datatype":' + _json_string(datatype) + "}"
    if type(term) is BlankNode:
        return '{"type":"bnode","value":' + _json_string(term.value) + "}"
    assert isinstance(term, Triple)
    return ('{"type":"triple","value":{"subject":' + _json_term(term.subject) + ',"predicate":'
            + _json_term(term.predicate) + ',"object":' + _json_term(term.object) + "}}")


def _xml_term(term: Term) -> str:
    if isinstance(term, NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != XSD_STRING:
            return f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
        return f"<literal>{escape(term.value)}</literal>"
    return (f"<triple><subject>{_xml_term(term.subject)}</subject><predicate>{_xml_term(term.predicate)}"
            f"</predicate><object>{_xml_term(term.object)}</object></triple>")


def _csv_value(term: Term | None) -> str:
    """CSV drops the term kind: IRIs and literals as their plain text, blank nodes as ``_:id``."""
    if term is None:
        return ""
    if isinstance(term, (NamedNode, Literal)):
        return term.value
    return str(term)


def _tsv_value(term: Term | None) -> str:
    """TSV keeps terms in SPARQL/N-Triples syntax, where tab and newline are already escaped."""
    return "" if term is None else str(term)


class SolutionsWriter:
    """Writes one result set in one format, stopping after ``max_rows`` rows.

    ``truncated`` tells, once the chunks are exhausted, whether rows were left out.
    """

    def __init__(self, fmt: str, max_rows: int | None = None) -> None:
        if fmt not in WRITTEN_FORMATS:
            raise ValueError(f"unknown SPARQL results format {fmt!r}")
        self.fmt = fmt
        self.max_rows = max_rows
        self.truncated = False

    def boolean(self, value: bool) -> bytes:
        if self.fmt == "json":
            return b'{"head":{},"boolean":true}' if value else b'{"head":{},"boolean":false}'
        if self.fmt == "xml":
            return (f'<?xml version="1.0" encoding="UTF-8"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
                    f"<head/><boolean>{'true' if value else 'false'}</boolean></sparql>\n").encode()
        # The CSV/TSV specification has no boolean form; a bare word, as Oxigraph writes it.
        word = "true" if value else "false"
        return (word + ("\r\n" if self.fmt == "csv" else "\n")).encode()

    def chunks(self, variables: list[str], solutions: Iterable[QuerySolution]) -> Iterator[bytes]:
        """The serialised result set in chunks of about ``CHUNK_BYTES``."""
        head, row, separator, tail = self._layout(variables)
        parts = [head]
        size = len(head)
        count = 0
        for solution in solutions:
            if self.max_rows is not None and count >= self.max_rows:
                self.truncated = True
                break
            text = row(solution)
            if count and separator:
                parts.append(separator)
            parts.append(text)
            size += len(text)
            count += 1
            if size >= CHUNK_BYTES:
                yield "".join(parts).encode("utf-8")
                parts, size = [], 0
        parts.append(tail)
        yield "".join(parts).encode("utf-8")

    def _layout(self, variables: list[str]) -> tuple[str, Callable[[QuerySolution], str], str, str]:
        """Header, row writer, row separator and trailer of the format."""
        if self.fmt == "json":
            head_object = json.dumps({"head": {"vars": variables}}, ensure_ascii=False, separators=(",", ":"))
            head = head_object[:-1] + ',"results":{"bindings":['

            keys = [_json_string(name) + ":" for name in variables]

            def json_row(solution: QuerySolution) -> str:
                return "{" + ",".join(key + _json_term(term) for key, term in zip(keys, solution)
                                      if term is not None) + "}"

            return head, json_row, ",", "]}}"
        if self.fmt == "xml":
            names = [quoteattr(name) for name in variables]
            head = ('<?xml version="1.0" encoding="UTF-8"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
                    "<head>" + "".join(f"<variable name={name}/>" for name in names) + "</head><results>\n")

            def xml_row(solution: QuerySolution) -> str:
                bindings = "".join(f"<binding name={name}>{_xml_term(term)}</binding>"
                                   for name, term in zip(names, solution) if term is not None)
                return f"<result>{bindings}</result>\n"

            return head, xml_row, "", "</results></sparql>\n"
        if self.fmt == "csv":
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\r\n")
            writer.writerow(variables)
            head = buffer.getvalue()

            def csv_row(solution: QuerySolution) -> str:
                buffer.seek(0)
                buffer.truncate()
                writer.writerow([_csv_value(term) for term in solution])
                return buffer.getvalue()

            return head, csv_row, "", ""
        head = "\t".join(f"?{name}" for name in variables) + "\n"

        def tsv_row(solution: QuerySolution) -> str:
            return "\t".join(_tsv_value(term) for term in solution) + "\n"

        return head, tsv_row, "", ""
