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
from healthkg.server.api import example_args
from healthkg.server.pages import summary
from healthkg.server.pages.queries import Row, select, snapshot
from healthkg.server.pages.terms import unique

YASGUI_FILES = ("yasgui/yasgui.min.js", "yasgui/yasgui.min.css")


def periods(projects: list[Row]) -> list[tuple[str, list[Row]]]:
    """The projects grouped by plan period, the latest period first; projects of no numbered period last."""
    grouped: dict[str, list[Row]] = {}
    for row in projects:
        grouped.setdefault(str(row.get("period", "")), []).append(row)
    return sorted(grouped.items(), key=lambda item: -int(item[0]) if item[0] else 1)


def landing() -> str:
    sizes = {str(row["graph"]): int(str(row["triples"])) for row in select("graph-sizes")}
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


def _example_tabs() -> list[dict[str, str]]:
    """Every named query as a YASGUI tab, its parameters bound to their defaults (or the header's example)."""
    tabs = []
    for query in catalogue().values():
        text = query.text
        candidates: tuple[dict[str, str], ...] = ({}, example_args(query))
        for values in candidates:
            try:
                text = query.render(values)
                break
            except ParameterError:
                continue
        body = "\n".join(line for line in text.splitlines() if not line.startswith("#+")).lstrip("\n")
        tabs.append({"name": query.name, "query": f"# {query.summary}\n{body}"})
    return tabs


def query_ui() -> Response | str:
    missing = [name for name in YASGUI_FILES if not (_vendor_dir() / name).is_file()]
    if missing:
        page = render_template("ui_missing.html", missing=missing, vendor_dir=_vendor_dir())
        return Response(page, status=503, mimetype="text/html")
    return render_template("ui.html", tabs=_example_tabs(), endpoint=request.script_root + "/sparql")


def vendor(filename: str) -> Response:
    """Third-party assets installed at install time (``make vendor``), never from a CDN."""
    if not _vendor_dir().is_dir():
        raise NotFound()
    return send_from_directory(_vendor_dir(), filename, max_age=3600)
