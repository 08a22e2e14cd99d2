"""Compact IRIs (CURIEs) from one authority: bioregistry, plus healthkg's own namespaces.

The prefixes are read from ``ontology/prefixes.tsv``, a table generated from
bioregistry (``healthkg export --format prefixes``), not from the registry
itself: importing ``bioregistry`` would cost the server much memory and start-up
time (bench/RESULTS.md).
The table holds one URI prefix per prefix, the one used in RDF
(``http://id.nlm.nih.gov/mesh/`` rather than the MeSH browser's page address),
so that a CURIE shown anywhere expands back to exactly the IRI stored in the graph.

>>> compact("http://purl.obolibrary.org/obo/MONDO_0004992")
'MONDO:0004992'
>>> compact("https://w3id.org/healthkg/ontology#inProject")
'hkg:inProject'
>>> expand(compact("http://id.nlm.nih.gov/mesh/D003141"))
'http://id.nlm.nih.gov/mesh/D003141'
>>> compact("urn:example:unknown") is None
True
>>> compact("https://doi.org/10.13039/100009619") is None  # doi: would expand to http://dx.doi.org/
True
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache, lru_cache
from importlib import metadata, resources
from typing import TYPE_CHECKING

from healthkg.ontology import GRAPH, HKG, ID

if TYPE_CHECKING:
    import curies

# Our namespaces are not in the registry; their prefixes are the ontology's
# vann:preferredNamespacePrefix (hkg) and the path segments of the IRI scheme.
OWN_PREFIXES = {"hkg": str(HKG), "id": str(ID), "graph": str(GRAPH)}

TABLE_FILE = "prefixes.tsv"
TABLE_HEADER = "prefix\turi_prefix"


@cache
def _uri_prefixes() -> dict[str, str]:
    """Prefix → URI prefix, read once from the packaged table (comment lines, a header, then rows)."""
    text = resources.files("healthkg.ontology").joinpath(TABLE_FILE).read_text(encoding="utf-8")
    header, *rows = (line for line in text.splitlines() if line and not line.startswith("#"))
    if header != TABLE_HEADER:
        raise ValueError(f"{TABLE_FILE}: header {header!r}, expected {TABLE_HEADER!r}")
    return dict(row.split("\t") for row in rows)


@cache
def _prefixes_by_length() -> tuple[dict[str, str], tuple[int, ...]]:
    """URI prefix → prefix, and the lengths of the URI prefixes, longest first: what ``compact`` tries."""
    prefixes = {uri_prefix: prefix for prefix, uri_prefix in _uri_prefixes().items()}
    return prefixes, tuple(sorted({len(uri_prefix) for uri_prefix in prefixes}, reverse=True))


@lru_cache(maxsize=1 << 16)
def compact(iri: str) -> str | None:
    """The CURIE of ``iri`` under the longest URI prefix it starts with, or None.

    The table has no synonyms of a URI prefix (``https://doi.org/`` for ``doi:``,
    which expands to ``http://dx.doi.org/``), so a CURIE offered always expands
    back to ``iri``.
    """
    prefixes, lengths = _prefixes_by_length()
    for length in lengths:
        if length <= len(iri):
            prefix = prefixes.get(iri[:length])
            if prefix is not None:
                return f"{prefix}:{iri[length:]}"
    return None


def expand(curie: str) -> str | None:
    """The IRI of a CURIE, or None when its prefix is not in the table (prefixes are case-sensitive)."""
    prefix, separator, local = curie.partition(":")
    uri_prefix = _uri_prefixes().get(prefix)
    return uri_prefix + local if separator and uri_prefix is not None else None


def prefix_map(iris: Iterable[str]) -> dict[str, str]:
    """The prefixes (and their URI prefixes) needed to compact ``iris``, sorted by prefix."""
    uri_prefixes = _uri_prefixes()
    used: dict[str, str] = {}
    for iri in set(iris):
        curie = compact(iri)
        if curie is not None:
            prefix = curie.split(":", 1)[0]
            used[prefix] = uri_prefixes[prefix]
    return dict(sorted(used.items(), key=lambda item: item[0].lower()))


def registry_converter() -> curies.Converter:
    """healthkg's namespaces first, then every bioregistry prefix, RDF URI forms preferred.

    The source of the table. ``bioregistry`` and ``curies`` are imported here and
    nowhere else in this module, so only regenerating or checking the table pays for them.
    """
    import bioregistry
    import curies

    registry = bioregistry.manager.get_converter(
        uri_prefix_priority=["rdf", "default"], prefix_priority=["preferred", "default"]
    )
    return curies.chain([curies.Converter.from_prefix_map(OWN_PREFIXES), registry])


def prefix_table() -> str:
    """The text of ``ontology/prefixes.tsv`` from the installed bioregistry: our prefixes, then its canonical ones."""
    canonical = dict(registry_converter().bimap)
    rows = OWN_PREFIXES | {prefix: uri_prefix for prefix, uri_prefix in canonical.items() if prefix not in OWN_PREFIXES}
    comment = (
        f"# Generated from bioregistry {metadata.version('bioregistry')}: each prefix's canonical URI prefix,\n"
        "# RDF forms preferred, healthkg's own prefixes first. Do not edit; regenerate with\n"
        "#   healthkg export --format prefixes --out ontology/prefixes.tsv\n"
    )
    return comment + TABLE_HEADER + "\n" + "".join(f"{prefix}\t{uri_prefix}\n" for prefix, uri_prefix in rows.items())
