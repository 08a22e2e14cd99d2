"""The front door (search, the integrated projects of every period, ministries, disease areas, years) and the
query UI (YASGUI, opening on a handful of example tabs that answer something).

Third-party front-end files are installed at install time (``make vendor``) and
served from here, never from a CDN; without them the UI says how to install them.
"""

from __future__ import annotations

from pathlib import Path

from flask import Response, current_app, render_template, request, send_from_directory
from werkzeug.exceptions import NotFound

from healthkg.queries.catalogue import ParameterError, catalogue
from healthkg.queries.entities import EntityResolver
from healthkg.server.api import example_args
from healthkg.server.pages import summary
from healthkg.server.pages.queries import Row, select, snapshot
from healthkg.server.pages.terms import base_iri, unique
from healthkg.server.services import services

YASGUI_FILES = ("yasgui/yasgui.min.js", "yasgui/yasgui.min.css")


def periods(projects: list[Row]) -> list[tuple[str, list[Row]]]:
    """The projects grouped by plan period, the latest period first; projects of no numbered period last."""
    grouped: dict[str, list[Row]] = {}
    for row in projects:
        grouped.setdefault(str(row.get("period", "")), []).append(row)
    return sorted(grouped.items(), key=lambda item: -int(item[0]) if item[0] else 1)


def landing() -> str:
    sizes = services().statistics.graph_sizes(snapshot())
    projects = select("landing-projects")
    topics = select("landing-topics")
    return render_template(
        "landing.html",
        info=snapshot().info,
        periods=periods(projects),
        budgets=summary.latest_budgets(),
        organisations=select("landing-organisations"),
        areas=[row for row in topics if str(row["kind"]) == "area"],
        purposes=[row for row in topics if str(row["kind"]) == "purpose"],
        counts=select("domain-counts"),
        years=select("fiscal-years"),
        documents=unique(select("documents"), "document"),
        graphs=sorted(sizes.items()),
        triples=sum(sizes.values()),
        queries=catalogue(),
        basis_label=summary.basis_label,
    )


def _vendor_dir() -> Path:
    return Path(current_app.config["VENDOR_DIR"])


# The tabs the query UI opens with: a handful of questions that answer something on any build (a program's
# budget series, a period's projects, ministries' shares, the coverage matrix, budget lines, a search); every
# other named query is one click away in the list under the editor.
EXAMPLE_TABS = ("program-budget-series", "project-composition", "ministry-project-share", "coverage-matrix",
                "budget-lines", "label-search")


def _example_tabs() -> list[dict[str, str]]:
    """Every named query as a YASGUI tab, its parameters bound to the header's example (else to their defaults).

    An example's entity parameter names a thing (a program by its label); it is resolved against the
    served graph, as the API resolves it, so the tab's text holds the IRI and runs on the endpoint as it is.
    """
    tabs = []
    for query in catalogue().values():
        text = query.text
        candidates: tuple[dict[str, str], ...] = (example_args(query), {})
        for values in candidates:
            try:
                text = query.render(values, EntityResolver(services().engine))
                break
            except ParameterError:
                continue
        body = "\n".join(line for line in text.splitlines() if not line.startswith("#+")).lstrip("\n")
        tabs.append({"name": query.name, "query": f"# {query.summary}\n{body}", "summary": query.summary})
    return tabs


def query_ui() -> Response | str:
    missing = [name for name in YASGUI_FILES if not (_vendor_dir() / name).is_file()]
    if missing:
        page = render_template("ui_missing.html", missing=missing, vendor_dir=_vendor_dir())
        return Response(page, status=503, mimetype="text/html")
    every = _example_tabs()
    return render_template("ui.html", tabs=[tab for name in EXAMPLE_TABS for tab in every if tab["name"] == name],
                           more=[tab for tab in every if tab["name"] not in EXAMPLE_TABS],
                           endpoint=request.script_root + "/sparql", base=base_iri(), root=request.script_root)


def vendor(filename: str) -> Response:
    """Third-party assets installed at install time (``make vendor``), never from a CDN."""
    if not _vendor_dir().is_dir():
        raise NotFound()
    return send_from_directory(_vendor_dir(), filename, max_age=3600)
