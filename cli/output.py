"""How the command line writes query results: tables, CSV, TSV and JSON for rows; Turtle and kin for graphs.

A SELECT or ASK query answers rows, a CONSTRUCT or DESCRIBE query a graph;
each kind has its own formats, and asking for the other kind's is an error
that names the formats that fit, never a silent switch to something else.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from pyoxigraph import Literal, NamedNode, serialize

from healthkg.cli.tables import render_table
from healthkg.engine.formats import GRAPH_FORMATS
from healthkg.engine.jsonld import packaged_context
from healthkg.engine.prefixes import prefix_map

ROW_FORMATS = ("table", "csv", "tsv", "json")
GRAPH_OUTPUTS = ("turtle", "ntriples", "jsonld", "rdfxml")
GRAPH_KINDS = ("CONSTRUCT", "DESCRIBE")


class FormatMismatch(ValueError):
    """A format of one kind of result asked for the other kind."""


def default_format(kind: str) -> str:
    return "turtle" if kind in GRAPH_KINDS else "table"


def check_format(kind: str, fmt: str, source: str) -> None:
    """Raise FormatMismatch when ``fmt`` cannot write what a ``kind`` query answers."""
    if kind in GRAPH_KINDS and fmt not in GRAPH_OUTPUTS:
        raise FormatMismatch(f"{source} is a {kind} query: it answers a graph, which --format {fmt} cannot write; "
                             f"use --format {', '.join(GRAPH_OUTPUTS)}")
    if kind not in GRAPH_KINDS and fmt not in ROW_FORMATS:
        raise FormatMismatch(f"{source} is a {kind} query: it answers rows, which --format {fmt} cannot write; "
                             f"use --format {', '.join(ROW_FORMATS)}")


def _cell(term: dict[str, str] | None) -> str:
    return "" if term is None else term["value"]


def format_rows(results: dict[str, Any], fmt: str) -> str:
    """SPARQL JSON results as a table (aligned by display width), CSV, TSV or JSON."""
    if "boolean" in results:
        return json.dumps(results, ensure_ascii=False) if fmt == "json" else str(results["boolean"]).lower()
    if fmt == "json":
        return json.dumps(results, ensure_ascii=False, indent=2)
    columns = results["head"]["vars"]
    rows = [[_cell(binding.get(c)) for c in columns] for binding in results["results"]["bindings"]]
    if fmt in ("csv", "tsv"):
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
        return buffer.getvalue().rstrip("\n")
    return "\n".join([*render_table(columns, rows), f"({len(rows)} rows)"])


def format_graph(ntriples: bytes, fmt: str) -> bytes:
    """A CONSTRUCT/DESCRIBE answer (N-Triples) as Turtle or RDF/XML (by subject, prefixed) or JSON-LD."""
    if fmt == "ntriples":
        return ntriples
    # Imported here: the export module brings networkx, which no other output of `query` needs.
    from healthkg.engine.export import parse_ntriples, write_jsonld

    triples = sorted(parse_ntriples(ntriples), key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
    if fmt == "jsonld":
        return write_jsonld(triples, packaged_context())
    iris = {term.value for t in triples for term in (t.subject, t.predicate, t.object) if isinstance(term, NamedNode)}
    iris |= {t.object.datatype.value for t in triples if isinstance(t.object, Literal)}
    rdf_format = {f.name: f.rdf_format for f in GRAPH_FORMATS}[fmt]
    return serialize(triples, format=rdf_format, prefixes=prefix_map(iris)) or b""
