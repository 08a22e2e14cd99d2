"""Compact IRIs (CURIEs) from one authority: bioregistry, plus healthkg's own namespaces.

The registry ships offline with the ``bioregistry`` package. It is asked for
the URI prefixes used in RDF (``http://id.nlm.nih.gov/mesh/`` rather than the
MeSH browser's page address), so that a CURIE shown anywhere expands back to
exactly the IRI stored in the graph.

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

import bioregistry
import curies

from healthkg.ontology import GRAPH, HKG, ID

# Our namespaces are not in the registry; their prefixes are the ontology's
# vann:preferredNamespacePrefix (hkg) and the path segments of the IRI scheme.
OWN_PREFIXES = {"hkg": str(HKG), "id": str(ID), "graph": str(GRAPH)}


@cache
def converter() -> curies.Converter:
    """healthkg's namespaces first, then every bioregistry prefix, RDF URI forms preferred."""
    registry = bioregistry.manager.get_converter(
        uri_prefix_priority=["rdf", "default"], prefix_priority=["preferred", "default"]
    )
    return curies.chain([curies.Converter.from_prefix_map(OWN_PREFIXES), registry])


@cache
def _uri_prefixes() -> dict[str, str]:
    """Canonical prefix → URI prefix, built once (the converter rebuilds its maps per call)."""
    return dict(converter().bimap)


@lru_cache(maxsize=1 << 16)
def compact(iri: str) -> str | None:
    """The CURIE of ``iri``, or None when no prefix covers it exactly.

    The registry also knows synonyms of a URI prefix (``https://doi.org/`` for
    ``doi:``, which expands to ``http://dx.doi.org/``); a CURIE that would expand
    to another IRI than the one shown is not offered.
    """
    curie = converter().compress(iri)
    return curie if curie is not None and expand(curie) == iri else None


def expand(curie: str) -> str | None:
    """The IRI of a CURIE, or None when its prefix is unknown."""
    prefix, separator, local = curie.partition(":")
    uri_prefix = _uri_prefixes().get(prefix)
    if separator and uri_prefix is not None:
        return uri_prefix + local
    return converter().expand(curie)  # a synonym of a prefix, e.g. mondo: for MONDO:


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
