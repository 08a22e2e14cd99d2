"""What people see in a browser: the landing page and the query UI; parent of every page blueprint.

One blueprint, ``pages``, carries the linked-data entity pages, the ontology, the
downloads and the named-query API as children, so the application registers the
whole human- and client-facing surface in one line.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, request, send_from_directory
from werkzeug.exceptions import NotFound

from healthkg.ontology import BASE
from healthkg.queries.catalogue import ParameterError, catalogue
from healthkg.server import api, pages_downloads, pages_entity, pages_ontology, views_terms
from healthkg.server.views_queries import select, snapshot

blueprint = Blueprint("pages", __name__)
for child in (pages_entity.blueprint, pages_ontology.blueprint, pages_downloads.blueprint, api.blueprint):
    blueprint.register_blueprint(child)

YASGUI_FILES = ("yasgui/yasgui.min.js", "yasgui/yasgui.min.css")


@blueprint.record_once
def _configure(state: object) -> None:
    app = state.app  # type: ignore[attr-defined]
    app.config.setdefault("BASE_IRI", BASE)
    app.config.setdefault("VENDOR_DIR", os.path.join(app.static_folder, "vendor"))
    views_terms.register(app)


@blueprint.route("/")
def landing() -> str:
    sizes = {str(row["graph"]): int(str(row["triples"])) for row in select("graph-sizes")}
    return render_template(
        "landing.html",
        info=snapshot().info,
        classes=select("class-counts"),
        years=select("fiscal-years"),
        documents=views_terms.unique(select("documents"), "document"),
        graphs=sorted(sizes.items()),
        triples=sum(sizes.values()),
        queries=catalogue(),
    )


def _vendor_dir() -> Path:
    return Path(current_app.config["VENDOR_DIR"])


def _example_tabs() -> list[dict[str, str]]:
    """Every named query as a YASGUI tab, its parameters bound to their defaults (or the header's example)."""
    tabs = []
    for query in catalogue().values():
        text = query.text
        for values in ({}, api.example_args(query)):
            try:
                text = query.render(values)
                break
            except ParameterError:
                continue
        body = "\n".join(line for line in text.splitlines() if not line.startswith("#+")).lstrip("\n")
        tabs.append({"name": query.name, "query": f"# {query.summary}\n{body}"})
    return tabs


@blueprint.route("/ui")
def query_ui() -> Response | str:
    missing = [name for name in YASGUI_FILES if not (_vendor_dir() / name).is_file()]
    if missing:
        page = render_template("ui_missing.html", missing=missing, vendor_dir=_vendor_dir())
        return Response(page, status=503, mimetype="text/html")
    return render_template("ui.html", tabs=_example_tabs(), endpoint=request.script_root + "/sparql")


@blueprint.route("/query")
def query_alias() -> Response | str:
    return query_ui()


@blueprint.route("/vendor/<path:filename>")
def vendor(filename: str) -> Response:
    """Third-party assets installed at install time (``make vendor``), never from a CDN."""
    if not _vendor_dir().is_dir():
        raise NotFound()
    return send_from_directory(_vendor_dir(), filename, max_age=3600)
