"""How names are compared, for the loaders that link text to entities and the search that finds them.

Both sides depend on the ontology package; neither depends on the other.
"""

SEPARATOR_CLASS = "[\\s・･·]"
"""White space and the middle dots written between words, which matching ignores.

A character class valid both in Python and in XPath (SPARQL REGEX) regular expressions.
"""
