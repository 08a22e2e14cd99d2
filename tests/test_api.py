"""The named-query API and its OpenAPI document, over real HTTP with a real validator.

Budget figures are cross-checked between two queries of the catalogue (the lines of
a project and year add up to the total the document declares), so the test does
not depend on numbers copied from any output.
"""

from __future__ import annotations

import csv
import io
import json
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal

import pytest
from openapi_spec_validator import validate
from pyoxigraph import RdfFormat, parse

from healthkg.ontology import BASE
from healthkg.queries.catalogue import catalogue


def get(url: str, **headers: str) -> tuple[int, str, bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def api(server, name: str, accept: str = "application/sparql-results+json", **params: str) -> tuple[int, str, bytes]:
    return get(f"{server.url}/api/queries/{name}?{urllib.parse.urlencode(params)}", Accept=accept)


def rows(body: bytes) -> list[dict[str, str]]:
    return [{k: v["value"] for k, v in b.items()} for b in json.loads(body)["results"]["bindings"]]


def test_the_api_lists_every_named_query_with_its_parameters(live_server):
    status, content_type, body = get(live_server.url + "/api/queries")
    assert status == 200 and content_type.startswith("application/json")
    listed = {entry["name"]: entry for entry in json.loads(body)}
    assert set(listed) == set(catalogue())
    for name, query in catalogue().items():
        assert [p["name"] for p in listed[name]["params"]] == [p.name for p in query.params]
        assert listed[name]["summary"] == query.summary


def test_budget_lines_add_up_to_the_totals_the_document_declares(live_server):
    status, content_type, body = api(live_server, "budget-reconciliation")
    assert status == 200 and content_type.startswith("application/sparql-results+json")
    totals = rows(body)
    assert totals
    for total in totals:
        _, _, lines_body = api(live_server, "budget-lines", project=total["project"],
                               fiscal_year=total["fiscal_year"], route=total["route"])
        lines = rows(lines_body)
        assert lines and all(line["fiscal_year"] == total["fiscal_year"] for line in lines)
        counted = sum(Decimal(line["amount_yen"]) for line in lines if line["relisted"] != "duplicate")
        assert counted == Decimal(total["computed_yen"])
        if total["consistent"] == "true":
            assert abs(counted - Decimal(total["declared_yen"])) <= Decimal(total["declared_yen"]) / 100
    assert any(total["consistent"] == "true" for total in totals)


def test_csv_by_accept_or_format_with_the_header_columns(live_server):
    query = catalogue()["budget-lines"]
    _, _, json_body = api(live_server, "budget-lines", fiscal_year="2020")
    for status, content_type, body in (api(live_server, "budget-lines", accept="text/csv", fiscal_year="2020"),
                                       api(live_server, "budget-lines", fiscal_year="2020", format="csv")):
        assert status == 200 and content_type.startswith("text/csv")
        table = list(csv.reader(io.StringIO(body.decode("utf-8"))))
        assert table[0] == list(query.columns)
        assert len(table) - 1 == len(rows(json_body)) > 0
        assert {r[table[0].index("fiscal_year")] for r in table[1:]} == {"2020"}


@pytest.mark.parametrize(("params", "named"), [
    ({"fiscal_year": "twenty"}, "fiscal_year"),
    ({"route": "cash"}, "route"),
    ({"colour": "red"}, "colour"),
])
def test_a_parameter_that_does_not_fit_is_a_400_naming_it(live_server, params, named):
    status, content_type, body = api(live_server, "budget-lines", **params)
    assert status == 400 and content_type.startswith("application/json")
    assert named in json.loads(body)["error"]


def test_parameter_values_are_bound_as_terms_not_spliced_into_the_query(live_server):
    attack = 'x" ) } } SELECT * WHERE { ?s ?p ?o } #'
    # A search text is a typed literal: it finds no label, and the query keeps its shape.
    status, _, body = api(live_server, "label-search", q=attack)
    assert status == 200 and rows(body) == []
    # A name that denotes no project answers 400, never an empty 200 (issue 10 §7).
    status, _, body = api(live_server, "budget-lines", project=attack)
    assert status == 400 and "names no IntegratedProject of this graph" in json.loads(body)["error"]


@pytest.mark.parametrize("project", [
    "ゲノム・データ基盤プロジェクト",  # the Japanese label
    "Genome and Data Infrastructure Project",  # the English label
    "genome and data infrastructure PROJECT",  # any case
    "ｹﾞﾉﾑ・データ基盤PJ",  # a short form, half-width
    "げのむでーた基盤ぷろじぇくと",  # hiragana for katakana, the ・ left out
    "id:project-genome-data",  # a CURIE
    f"{BASE}id/project-genome-data",  # the IRI
])
def test_entity_parameters_accept_labels_short_forms_and_iris(live_server, project):
    status, _, body = api(live_server, "budget-lines", project=project, route="AMED対象経費", fiscal_year="2020")
    assert status == 200, body
    found = rows(body)
    assert len(found) == 12 and {(r["project"], r["route"]) for r in found} == {("ゲノム・データ基盤プロジェクト", "amed")}


@pytest.mark.parametrize(("name", "params", "error"), [
    ("budget-lines", {"project": "ゲノムデータ基板プロジェクト"}, "closest: ゲノム・データ基盤プロジェクト"),  # a typo
    ("budget-lines", {"project": "ゲノム"}, "closest: ゲノム・データ基盤"),  # part of a name
    ("budget-lines", {"route": "amed対象"}, "日本医療研究開発機構対象経費 <https://w3id.org/healthkg/id/route-amed>"),
    # a short form two plans' projects share: both offered, by their labels
    ("budget-lines", {"project": "医薬品PJ"}, "names several IntegratedProject entities: 医薬品プロジェクト(第3期) <"),
    ("organisation-roles", {"ministry": "文部省"}, "'文部省' names no Ministry of this graph"),
    ("budget-lines", {"project": f"{BASE}id/org-amed"}, "is not an IntegratedProject of this graph"),
    ("describe", {"iri": f"{BASE}id/no-such-thing"}, "is not an entity of this graph"),
])
def test_unknown_entity_answers_400_with_the_closest_names(live_server, name, params, error):
    accept = "text/turtle" if catalogue()[name].kind == "CONSTRUCT" else "application/sparql-results+json"
    status, content_type, body = api(live_server, name, accept=accept, **params)
    assert status == 400 and content_type.startswith("application/json")
    assert error in json.loads(body)["error"]


def test_unknown_queries_and_unacceptable_formats(live_server):
    assert api(live_server, "no-such-query")[0] == 404
    assert api(live_server, "budget-lines", accept="image/png")[0] == 406
    assert api(live_server, "budget-lines", format="xlsx")[0] == 406


def test_graph_queries_answer_rdf(live_server):
    graph_queries = [q for q in catalogue().values() if q.kind in ("CONSTRUCT", "DESCRIBE")
                     and [p.name for p in q.params if p.required] == ["iri"]]
    assert graph_queries
    subject = f"{BASE}id/project-genome-data"
    for query in graph_queries:
        status, content_type, body = api(live_server, query.name, accept="text/turtle", iri=subject)
        assert status == 200 and content_type.startswith("text/turtle")
        assert any(q.subject.value == subject for q in parse(body, format=RdfFormat.TURTLE))


def test_openapi_document_is_valid_and_describes_every_query(live_server):
    status, _, body = get(live_server.url + "/api/openapi.json")
    assert status == 200
    document = json.loads(body)
    validate(document)
    for name, query in catalogue().items():
        operation = document["paths"][f"/api/queries/{name}"]["get"]
        assert operation["summary"] == query.summary
        declared = {p["name"]: p for p in operation["parameters"]}
        for parameter in query.params:
            assert declared[parameter.name]["required"] == parameter.required
            assert declared[parameter.name]["schema"].get("enum", []) == list(parameter.enum)
        assert declared["format"]["in"] == "query"
    budget = document["paths"]["/api/queries/budget-lines"]["get"]
    assert {p["name"]: p["schema"]["type"] for p in budget["parameters"]}["fiscal_year"] == "integer"


def test_the_api_page_has_a_form_per_query(live_server):
    status, content_type, body = get(live_server.url + "/api/")
    assert status == 200 and content_type.startswith("text/html")
    page = body.decode("utf-8")
    for name, query in catalogue().items():
        assert f'action="/api/queries/{name}"' in page
        for parameter in query.params:
            assert f'name="{parameter.name}"' in page


def test_graph_queries_answer_json_ld_compacted_with_the_ontology_context(live_server):
    """The ``describe`` of a budget line as JSON-LD: context terms as keys, the same triples as N-Triples."""
    status, _, body = get(f"{live_server.url}/sparql?" + urllib.parse.urlencode(
        {"query": "SELECT ?s WHERE { ?s <https://w3id.org/healthkg/ontology#amountYen> ?a } LIMIT 1"}),
        Accept="application/sparql-results+json")
    (subject,) = [row["s"] for row in rows(body)]
    status, content_type, body = api(live_server, "describe", "application/ld+json", iri=subject)
    assert status == 200 and content_type == "application/ld+json; charset=utf-8"
    document = json.loads(body)
    (node,) = [n for n in document["@graph"] if n["@id"] == subject]
    assert {"label", "inProject", "amountYen"} <= set(node)
    _, _, ntriples = api(live_server, "describe", "application/n-triples", iri=subject)
    assert set(parse(body, format=RdfFormat.JSON_LD)) == set(parse(ntriples, format=RdfFormat.N_TRIPLES))


def test_a_name_given_for_any_entity_means_a_thing_not_a_figure_quoting_it(live_server):
    # 革新的がん医療実用化研究事業 labels the program and, quoting the document, its budget lines
    status, _, body = api(live_server, "provenance", iri="革新的がん医療実用化研究事業")
    assert status == 200, body
    assert {r["subject"] for r in rows(body)} >= {"革新的がん医療実用化研究事業"}
    status, _, body = api(live_server, "describe", accept="text/turtle", iri="AMED")  # a short form
    assert status == 200 and f"<{BASE}id/org-amed>" in body.decode()
