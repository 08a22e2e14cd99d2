"""Namespaces of the healthkg graph.

All IRIs hang off one base so that a server can dereference them by path
(``/id/...``, ``/ontology``) whatever host it runs on.
"""

from rdflib import SKOS, Namespace, URIRef

BASE = "https://w3id.org/healthkg/"
ONTOLOGY_IRI = BASE + "ontology"
HKG = Namespace(ONTOLOGY_IRI + "#")
ID = Namespace(BASE + "id/")
GRAPH = Namespace(BASE + "graph/")

# The SKOS mapping relations (subproperties of skos:mappingRelation) the graph links external terms with:
# the SSSOM reader accepts only these, the reasoner leaves them out, and entity pages list them as matches.
MAPPING_RELATIONS: frozenset[URIRef] = frozenset(
    SKOS[name] for name in ("exactMatch", "closeMatch", "broadMatch", "narrowMatch", "relatedMatch"))
