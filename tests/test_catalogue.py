"""Binding named-query parameters: typed terms in place of ?_x, never raw text."""

from __future__ import annotations

import pytest
from pyoxigraph import Literal, NamedNode, Quad, Store

from healthkg.queries.catalogue import ParameterError, parse_query

HEADER = """#+ summary: test
#+ params:
#+   - name: name
#+     type: string
#+   - name: thing
#+     type: iri
"""


@pytest.fixture()
def store() -> Store:
    store = Store()
    for subject, label in (("http://e/a", "alpha"), ("http://e/b", 'x" } ; #')):
        store.add(Quad(NamedNode(subject), NamedNode("http://e/label"), Literal(label)))
    return store


def labels(store: Store, text: str) -> list[str]:
    return sorted(solution["label"].value for solution in store.query(text))


def test_bound_parameter_filters_and_unbound_means_any(store: Store) -> None:
    query = parse_query(HEADER + 'SELECT ?label WHERE { ?s <http://e/label> ?label '
                                 'FILTER(!BOUND(?_name) || ?label = ?_name) }', "t")
    assert labels(store, query.render({})) == ["alpha", 'x" } ; #']
    assert labels(store, query.render({"name": "alpha"})) == ["alpha"]


def test_quotes_braces_and_hashes_in_a_value_stay_inside_the_literal(store: Store) -> None:
    query = parse_query(HEADER + "SELECT ?label WHERE { ?s <http://e/label> ?label FILTER(?label = ?_name) }", "t")
    assert labels(store, query.render({"name": 'x" } ; #'})) == ['x" } ; #']


def test_variable_names_inside_strings_and_iris_are_left_alone() -> None:
    query = parse_query(HEADER + 'SELECT ?o WHERE { <http://e/?_thing> ?p ?o FILTER(?o != "?_thing") '
                                 "?_thing ?p ?o }  # ?_thing in a comment", "t")
    text = query.render({"thing": "http://e/a"})
    assert "<http://e/?_thing>" in text and '"?_thing"' in text and "# ?_thing in a comment" in text
    assert "<http://e/a> ?p ?o" in text


def test_projected_parameter_is_bound_through_values(store: Store) -> None:
    query = parse_query(HEADER + "SELECT ?_thing ?label WHERE { ?_thing <http://e/label> ?label }", "t")
    text = query.render({"thing": "http://e/a"})
    assert "VALUES (?_thing)" in text
    assert labels(store, text) == ["alpha"]


def test_iri_parameter_must_be_an_absolute_iri() -> None:
    query = parse_query(HEADER + "SELECT ?o WHERE { ?_thing ?p ?o }", "t")
    with pytest.raises(ParameterError, match="thing"):
        query.render({"thing": "http://e/a> ?p ?o } #"})
