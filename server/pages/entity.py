"""Linked data: every IRI of the graph dereferences here, as an HTML page or as RDF.

``/id/<path>`` serves ``<BASE_IRI>id/<path>``; ``/resource?iri=<IRI>`` serves any IRI the
graph mentions (external vocabulary terms included). The format is chosen by a file
extension (``.ttl``, ``.jsonld``, ``.nt``, ``.rdf``; or ``format=`` on ``/resource``) or
else by the Accept header. Negotiated answers come directly with 200 and
``Vary: Accept`` rather than a 303 to a per-format URL: w3id already redirects
once, and ``Content-Location`` names the format-specific URL for clients that
want to cite it. Hash IRIs (``document#L12-L13``) are described on their
document's page and in its RDF, as the hash convention expects.
"""

from __future__ import annotations

from itertools import groupby
from urllib.parse import urlencode

from flask import Blueprint, Response, make_response, render_template, request
from werkzeug.exceptions import BadRequest, NotFound

from healthkg.engine.formats import Format
from healthkg.ontology import MAPPING_RELATIONS
from healthkg.queries.catalogue import ParameterError
from healthkg.server.pages import summary
from healthkg.server.pages.queries import Row, ask, construct, select
from healthkg.server.pages.representations import BY_EXTENSION, BY_MEDIA_TYPE, HTML, PAGE_FORMATS, negotiate
from healthkg.server.pages.terms import base_iri, checked_iri, iri_argument, local_path, unique
from healthkg.server.responses import rdf_response

blueprint = Blueprint("entity", __name__)

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LABELS = {
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://purl.org/dc/terms/title",
}
MATCHES = {str(relation) for relation in MAPPING_RELATIONS} | {"http://www.w3.org/2002/07/owl#sameAs"}


def _exists(iri: str) -> bool:
    """Whether the graph mentions ``iri``; a path that makes no IRI (a space, bytes not UTF-8) names nothing."""
    try:
        checked_iri(iri)
    except ParameterError:
        return False
    return ask("entity-exists", iri=iri)


def _format_url(iri: str, fmt: Format) -> str:
    path = local_path(iri)
    if path is not None and "#" not in path:
        return f"{path}.{fmt.extension}"
    return f"{request.script_root}/resource?{urlencode({'iri': iri, 'format': fmt.extension})}"


def _labels(rows: list[Row]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {"ja": [], "en": [], "other": []}
    for row in rows:
        if str(row["property"]) in LABELS and row["value"].is_literal:
            value = row["value"]
            bucket = value.lang if value.lang in ("ja", "en") else "other"
            if str(value) not in found[bucket]:
                found[bucket].append(str(value))
    return found


def _page(iri: str) -> str:
    outgoing = unique(select("entity-outgoing", iri=iri), "graph", "property", "value")
    properties = [(rows[0], rows) for _, rows in
                  ((key, list(group)) for key, group in groupby(outgoing, key=lambda row: str(row["property"])))]
    incoming = select("entity-incoming", iri=iri)  # one row per link, so the LIMIT counts links
    labels = _labels(outgoing)
    card = summary.card(iri, labels)
    budget = unique(select("entity-budget", iri=iri), "figure")
    return render_template(
        "entity.html",
        iri=iri,
        card=card,
        chart=summary.chart(iri, card),
        spark=summary.sparkline(card, budget),
        latest=summary.latest_budgets().get(iri) if card.kind_name == "IntegratedProject" else None,
        basis_label=summary.basis_label,
        members=select("entity-members", iri=iri) if card.kind_name in summary.WITH_MEMBERS else [],
        referrers=summary.referrers(incoming),
        labels=labels,
        types=unique((row for row in outgoing if str(row["property"]) == RDF_TYPE), "value"),
        matches=[row for row in outgoing if str(row["property"]) in MATCHES],
        properties=properties,
        incoming=incoming[:500],
        more_incoming=len(incoming) > 500,
        budget=budget,
        provenance=select("entity-provenance", iri=iri),
        source_lines=select("document-lines", iri=iri),
        formats=[(s, _format_url(iri, s)) for s in PAGE_FORMATS],
    )


def _describe(iri: str, fmt: Format) -> Response:
    return rdf_response(
        construct("entity-description", iri=iri) + construct("entity-referrers", iri=iri), fmt
    )


def _respond(iri: str, fmt: Format | None) -> Response:
    """The page or RDF for an IRI known to be in the graph; negotiated when no format was named."""
    if fmt is not None:
        return _describe(iri, fmt)
    chosen = negotiate([HTML, *BY_MEDIA_TYPE])
    if chosen == HTML:
        response = make_response(_page(iri))
    else:
        response = _describe(iri, BY_MEDIA_TYPE[chosen])
        response.headers["Content-Location"] = _format_url(iri, BY_MEDIA_TYPE[chosen])
    response.vary.add("Accept")
    response.headers["Link"] = ", ".join(
        f'<{url}>; rel="alternate"; type="{s.media_type}"'
        for s, url in ((s, _format_url(iri, s)) for s in PAGE_FORMATS)
    )
    return response


@blueprint.route("/id/<path:path>")
def by_path(path: str) -> Response:
    iri = base_iri() + "id/" + path
    if _exists(iri):
        return _respond(iri, None)
    stem, dot, extension = path.rpartition(".")
    if dot and extension in BY_EXTENSION and _exists(base_iri() + "id/" + stem):
        return _respond(base_iri() + "id/" + stem, BY_EXTENSION[extension])
    raise NotFound(f"{iri} is not in this graph")


@blueprint.route("/resource")
def by_iri() -> Response:
    iri = iri_argument("iri", "give the absolute IRI of a resource in the graph")
    fmt = request.args.get("format")
    if fmt is not None and fmt not in BY_EXTENSION:
        raise BadRequest(f"format: {fmt!r} is not one of {', '.join(BY_EXTENSION)}")
    if not _exists(iri):
        raise NotFound(f"{iri} is not in this graph")
    return _respond(iri, BY_EXTENSION[fmt] if fmt else None)


@blueprint.errorhandler(NotFound)
@blueprint.errorhandler(BadRequest)
def _error_page(error: NotFound | BadRequest) -> Response:
    return Response(render_template("error.html", error=error), status=error.code, mimetype="text/html")
