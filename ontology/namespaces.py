"""Namespaces of the healthkg graph.

All IRIs hang off one base so that a server can dereference them by path
(``/id/...``, ``/ontology``) whatever host it runs on.
"""

from rdflib import Namespace

BASE = "https://w3id.org/healthkg/"
ONTOLOGY_IRI = BASE + "ontology"
HKG = Namespace(ONTOLOGY_IRI + "#")
ID = Namespace(BASE + "id/")
GRAPH = Namespace(BASE + "graph/")
