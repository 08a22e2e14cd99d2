"""The healthkg ontology: Turtle sources, reference vocabularies and their namespaces.

The Turtle beside this module is the single source of every ontology term and
reference individual; Python only names namespaces and reads the files.
"""

from healthkg.ontology.namespaces import BASE, GRAPH, HKG, ID, MAPPING_RELATIONS, ONTOLOGY_IRI
from healthkg.ontology.resources import ontology_graph, reference_graph

__all__ = ["BASE", "GRAPH", "HKG", "ID", "MAPPING_RELATIONS", "ONTOLOGY_IRI", "ontology_graph", "reference_graph"]
