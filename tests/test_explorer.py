"""The explorer's and the diagram's JSON over real HTTP: Cytoscape.js elements derived from the graph."""

from __future__ import annotations

import html
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest

from healthkg.engine.backends import LocalBackend
from healthkg.engine.store import open_store

ID = "https://w3id.org/healthkg/id/"
GENOME = ID + "project-genome-data"

def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.headers["Content-Type"].startswith("application/json")
        return json.load(response)


def test_neighbourhood_has_the_entity_and_every_neighbour(live_server, seed_neighbours, seed_allocation) -> None:  # type: ignore[no-untyped-def]
    data = get_json(f"{live_server.url}/explore/neighbourhood?iri={GENOME}")
    nodes = {n["data"]["id"]: n["data"] for n in data["elements"]["nodes"]}
    assert set(nodes) == seed_neighbours(GENOME) | {GENOME}
    assert nodes[GENOME]["centre"] is True and nodes[GENOME]["label"] == "ゲノム・データ基盤プロジェクト"
    ids = set(nodes)
    assert all(e["data"]["source"] in ids and e["data"]["target"] in ids for e in data["elements"]["edges"])
    # sizes: a budget line carries its amount (L217: 32億円); the project its lines' sum (L203 + L206: 193億円)
    line = nodes[seed_allocation(217)]
    assert line["budget_yen"] == 3_200_000_000
    assert nodes[GENOME]["budget_yen"] == 19_300_000_000


def test_neighbourhood_filters_by_ministry_and_year(live_server, seed_neighbours) -> None:  # type: ignore[no-untyped-def]
    data = get_json(f"{live_server.url}/explore/neighbourhood?iri={GENOME}&ministry=mext")
    got = {n["data"]["id"] for n in data["elements"]["nodes"]}
    # programs of other (or unknown) ministries drop out; everything else stays
    expected = seed_neighbours(GENOME, "FILTER(NOT EXISTS { ?n a hkg:Program } "
                               "|| EXISTS { ?n hkg:administeredBy/hkg:code \"mext\" })")
    assert got == expected | {GENOME}
    data = get_json(f"{live_server.url}/explore/neighbourhood?iri={ID}fy/2020&fiscal_year=2019")
    years = {n["data"]["id"] for n in data["elements"]["nodes"]}
    assert years == {ID + "fy/2020"} | seed_neighbours(
        ID + "fy/2020", "FILTER NOT EXISTS { ?n hkg:fiscalYearNumber ?y FILTER(?y != 2019) }")


def test_neighbourhood_rejects_a_bad_iri(live_server) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(f"{live_server.url}/explore/neighbourhood?iri=not%20an%20iri", timeout=10)
    assert error.value.code == 400


def test_diagram_is_generated_from_the_tbox(live_server, seed_store) -> None:  # type: ignore[no-untyped-def]
    data = get_json(f"{live_server.url}/ontology/diagram.json")
    classes = LocalBackend(open_store(seed_store)).select(
        "PREFIX owl: <http://www.w3.org/2002/07/owl#> SELECT DISTINCT ?c WHERE { GRAPH <https://w3id.org/healthkg/graph/ontology> "
        '{ ?c a owl:Class FILTER(STRSTARTS(STR(?c), "https://w3id.org/healthkg/ontology#")) } }'
    )
    assert {n["data"]["id"] for n in data["elements"]["nodes"]} == {
        b["c"]["value"] for b in classes["results"]["bindings"]
    }
    edges = {
        (e["data"]["source"].split("#")[1], e["data"]["label"], e["data"]["target"].split("#")[1])
        for e in data["elements"]["edges"]
    }
    assert ("BudgetFigure", "inProject", "IntegratedProject") in edges  # rdfs:domain / rdfs:range of hkg:inProject
    assert ("Ministry", "subClassOf", "GovernmentBody") in edges
    figure = next(n["data"] for n in data["elements"]["nodes"] if n["data"]["id"].endswith("#BudgetFigure"))
    assert "amountYen" in figure["attributes"]


@pytest.mark.parametrize("path", ["id/project-genome-data", "id/org-amed", "id/disease-cancer"])
def test_entity_pages_link_to_the_explorer(live_server, path: str) -> None:  # type: ignore[no-untyped-def]
    request = urllib.request.Request(f"{live_server.url}/{path}", headers={"Accept": "text/html"})
    with urllib.request.urlopen(request, timeout=30) as response:
        page = response.read().decode("utf-8")
    links = [urllib.parse.urlsplit(html.unescape(href)) for href in re.findall(r'href="([^"]+)"', page)]
    explore = [urllib.parse.parse_qs(link.query)["iri"] for link in links if link.path.endswith("/explore")]
    # the entity's own link and the header's Explorer link both open on this entity
    assert explore and all(iri == ["https://w3id.org/healthkg/" + path] for iri in explore)
