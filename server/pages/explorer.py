"""The graph explorer (/explore) and the ontology diagram (/ontology/diagram).

Both pages draw with Cytoscape.js, installed from the npm registry into
static/vendor/ by ``make vendor`` and served from here, never from a CDN. Their
data comes from JSON endpoints answered by page queries (:mod:`.queries`): the
neighbourhood of one entity (expanded on click in the page) and the TBox's
classes and properties, so the diagram is generated from the ontology itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import BadRequest

from healthkg.engine.prefixes import compact
from healthkg.server.pages.queries import results

blueprint = Blueprint("explorer", __name__)
FILTERS = ("fiscal_year", "ministry", "project", "area")


def _rows(name: str, params: dict[str, str]) -> list[dict[str, str]]:
    bindings = results(name, params)["results"]["bindings"]
    return [{key: term["value"] for key, term in binding.items()} for binding in bindings]


def _vendor_ready() -> bool:
    return Path(current_app.static_folder or "", "vendor", "cytoscape", "cytoscape.min.js").is_file()


def _node(row: dict[str, str]) -> dict[str, Any]:
    iri = row["node"]
    data: dict[str, Any] = {
        "id": iri,
        "label": row.get("label") or row.get("label_en") or compact(iri) or iri,
        "label_en": row.get("label_en", ""),
        "curie": compact(iri) or iri,
        "kinds": row.get("kinds", "").split(),
    }
    if "budget_yen" in row:
        data["budget_yen"] = int(row["budget_yen"])
    return {"data": data}


def neighbourhood_elements(iri: str, filters: dict[str, str]) -> dict[str, Any]:
    """Cytoscape.js elements for ``iri`` and its filtered neighbours (the centre is flagged).

    In the domain view the links between two nodes are drawn as one line, their labels joined.
    """
    rows = _rows("neighbourhood", {"iri": iri, **filters})
    merge = filters.get("view") == "domain"
    nodes: dict[str, dict[str, Any]] = {}
    edges: dict[str, dict[str, Any]] = {}
    for row in rows:
        node = nodes.setdefault(row["node"], _node(row))
        if row["direction"] == "self":
            node["data"]["centre"] = True
            continue
        predicate = row["predicate"]
        source, target = (iri, row["node"]) if row["direction"] == "out" else (row["node"], iri)
        label = row.get("predicate_label") or compact(predicate) or predicate
        if merge:  # a link and its inverse (partOfProject, hasProgram) are one line in a picture
            edge_id = " ".join(sorted((source, target)))
            if edge_id in edges:
                if label not in edges[edge_id]["data"]["label"].split(" / "):
                    edges[edge_id]["data"]["label"] += " / " + label
                continue
        else:
            edge_id = f"{source} {predicate} {target}"
        edges[edge_id] = {"data": {"id": edge_id, "source": source, "target": target, "predicate": predicate,
                                   "label": label}}
    return {"centre": iri, "elements": {"nodes": list(nodes.values()), "edges": list(edges.values())}}


@blueprint.route("/explore")
def explore() -> str:
    iri = request.args.get("iri", "")
    facets: dict[str, list[dict[str, str]]] = {name: [] for name in FILTERS}
    for row in _rows("facets", {}):
        facets[row["facet"]].append(row)
    return render_template("explorer.html", iri=iri, facets=facets, vendor_ready=_vendor_ready(),
                           view=request.args.get("view", "domain"))


@blueprint.route("/explore/neighbourhood")
def neighbourhood() -> Response:
    iri = request.args.get("iri", "")
    filters = {name: request.args[name] for name in (*FILTERS, "view") if request.args.get(name)}
    try:
        return jsonify(neighbourhood_elements(iri, filters))
    except BadRequest as error:
        response = jsonify({"error": error.description})
        response.status_code = 400
        return response


def diagram_elements() -> dict[str, Any]:
    """Cytoscape.js elements of the TBox: classes, subclass links, object properties domain → range."""
    nodes: dict[str, dict[str, Any]] = {}
    edges: list[dict[str, Any]] = []
    rows = _rows("ontology-diagram", {})
    for row in rows:
        if row["kind"] == "class":
            nodes[row["source"]] = {"data": {"id": row["source"], "label": compact(row["source"]) or row["source"],
                                             "label_ja": row.get("label_ja", ""), "attributes": []}}
    for row in rows:
        if row["kind"] == "datatype" and row["source"] in nodes:
            nodes[row["source"]]["data"]["attributes"].append(row.get("label") or row["property"])
        elif row["kind"] in ("subclass", "object") and row["source"] in nodes and row["target"] in nodes:
            label = "subClassOf" if row["kind"] == "subclass" else row.get("label") or row["property"]
            edges.append({"data": {"id": f"{row['source']} {row.get('property', 'subClassOf')} {row['target']}",
                                   "source": row["source"], "target": row["target"], "label": label,
                                   "kind": row["kind"]}})
    for node in nodes.values():
        node["data"]["attributes"].sort()
    return {"elements": {"nodes": sorted(nodes.values(), key=lambda n: n["data"]["id"]), "edges": edges}}


@blueprint.route("/ontology/diagram")
def diagram() -> str:
    return render_template("diagram.html", vendor_ready=_vendor_ready())


@blueprint.route("/ontology/diagram.json")
def diagram_json() -> Response:
    return jsonify(diagram_elements())
