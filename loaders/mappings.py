"""The SSSOM mapping table (``healthkg.ontology/mappings.sssom.tsv``) as SKOS triples.

Prefixes are expanded by one ``curies`` converter built from the table's own
``curie_map``; that map follows bioregistry (tests check it) except where the
reference identifiers use another form (Crossref funder IDs as DOIs). Each row
becomes its SKOS triple plus a ``hkg:CuratedFact`` reifying it with the row's
justification and ``prov:wasDerivedFrom`` the source that verified the identifier.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml
from curies import Converter
from rdflib import PROV, RDF, RDFS, SKOS, Graph, Literal, URIRef

from healthkg.ontology import HKG, ID, MAPPING_RELATIONS

MAPPINGS_FILE = "mappings.sssom.tsv"
SKIPPED_FILE = "mappings-skipped.tsv"
_PREDICATES = {f"skos:{relation.fragment}": relation for relation in MAPPING_RELATIONS}


class MappingFileError(ValueError):
    """The SSSOM file is malformed; the message names the file and line."""


@dataclass(frozen=True)
class Mapping:
    line: int
    subject: URIRef
    predicate: URIRef
    object: URIRef
    object_label: str
    justification: str
    source: str
    comment: str


@dataclass(frozen=True)
class MappingSet:
    metadata: dict[str, Any]
    converter: Converter
    mappings: list[Mapping]


def _text(name: str) -> str:
    return resources.files("healthkg.ontology").joinpath(name).read_text(encoding="utf-8")


def read_sssom(text: str | None = None, name: str = MAPPINGS_FILE) -> MappingSet:
    """Parse the metadata block and rows; every CURIE must expand through the table's curie_map."""
    text = _text(MAPPINGS_FILE) if text is None else text
    lines = text.splitlines()
    header = [line[1:] for line in lines if line.startswith("#")]
    metadata = yaml.safe_load("\n".join(header)) or {}
    if not isinstance(metadata.get("curie_map"), dict):
        raise MappingFileError(f"{name}: the metadata block has no curie_map")
    converter = Converter.from_prefix_map(metadata["curie_map"])
    body = [(n, line) for n, line in enumerate(lines, start=1) if line and not line.startswith("#")]
    columns = body[0][1].split("\t") if body else []
    mappings = []
    for number, line in body[1:]:
        row = dict(zip(columns, next(csv.reader([line], delimiter="\t"))))

        def expand(curie: str, column: str, number: int = number) -> URIRef:
            iri = converter.expand(curie)
            if iri is None:
                raise MappingFileError(f"{name}:{number}: {column} {curie!r} has no prefix in the curie_map")
            return URIRef(iri)

        if row.get("predicate_id") not in _PREDICATES:
            raise MappingFileError(
                f"{name}:{number}: predicate_id {row.get('predicate_id')!r} is not a SKOS mapping relation"
            )
        if not row.get("see_also", "").startswith(("http://", "https://")):
            raise MappingFileError(
                f"{name}:{number}: see_also must be the URL of the source that verified the identifier"
            )
        mappings.append(
            Mapping(
                number,
                expand(row["subject_id"], "subject_id"),
                _PREDICATES[row["predicate_id"]],
                expand(row["object_id"], "object_id"),
                row.get("object_label", ""),
                row["mapping_justification"],
                row["see_also"],
                row.get("comment", ""),
            )
        )
    return MappingSet(metadata, converter, mappings)


def skipped_identifiers() -> list[dict[str, str]]:
    """Reference identifiers deliberately not mapped, with the reason (for the audit)."""
    return list(csv.DictReader(_text(SKIPPED_FILE).splitlines(), delimiter="\t"))


def mapping_triples(mapping_set: MappingSet | None = None) -> Graph:
    """The mappings named graph: SKOS links plus one reified, sourced record per row."""
    mapping_set = mapping_set or read_sssom()
    graph = Graph()
    graph.bind("skos", SKOS)
    for m in mapping_set.mappings:
        graph.add((m.subject, m.predicate, m.object))
        key = hashlib.sha256(f"{m.subject}\x1f{m.predicate}\x1f{m.object}".encode()).hexdigest()[:12]
        node = ID[f"mapping/{key}"]
        source = URIRef(m.source)
        graph.add((node, RDF.type, HKG.CuratedFact))
        graph.add((node, RDF.subject, m.subject))
        graph.add((node, RDF.predicate, m.predicate))
        graph.add((node, RDF.object, m.object))
        graph.add((node, PROV.wasDerivedFrom, source))
        graph.add((source, RDF.type, HKG.CuratedSource))
        graph.add((node, RDFS.comment, Literal(m.comment or m.justification, lang="en")))
        if m.object_label:  # the label as the verifying source gave it, sourced like the link
            label = Literal(m.object_label)
            graph.add((m.object, RDFS.label, label))
            statement = ID[f"mapping/{key}-label"]
            graph.add((statement, RDF.type, HKG.CuratedFact))
            graph.add((statement, RDF.subject, m.object))
            graph.add((statement, RDF.predicate, RDFS.label))
            graph.add((statement, RDF.object, label))
            graph.add((statement, PROV.wasDerivedFrom, source))
    return graph
