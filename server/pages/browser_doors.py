"""Doors people open in a browser that are meant for programs: ``/sparql`` without a query goes to the query UI.

A SPARQL client asking ``GET /sparql`` without a query gets the service description
(RDF, :mod:`healthkg.server.sparql`); a person who follows the link to the endpoint
gets raw Turtle. A request that names ``text/html`` explicitly, as its first choice
(browsers do; curl, SPARQLWrapper and rdflib do not), is sent to ``/ui`` instead.
"""

from __future__ import annotations

from flask import Flask, redirect, request, url_for
from werkzeug.wrappers import Response


def wants_html() -> bool:
    """True when the client lists text/html itself, with no lower quality than anything else it lists."""
    qualities = dict(request.accept_mimetypes)
    html = qualities.get("text/html", 0)
    return html > 0 and html >= max(qualities.values(), default=0)


def _endpoint_in_a_browser() -> Response | None:
    if (request.path == "/sparql" and request.method == "GET" and not request.args.get("query")
            and not request.args.get("update") and wants_html()):
        return redirect(url_for("pages.query_ui"), code=303)
    return None


def install(app: Flask) -> None:
    app.before_request(_endpoint_in_a_browser)
