"""Which representation of a page a client gets: HTML, or the resource's RDF in one of four formats.

A file extension in the URL (``.ttl``, ``.jsonld``, ``.nt``, ``.rdf``) wins over
``Accept``, so a link can name its format; otherwise the q-values of ``Accept``
decide (werkzeug's parser), HTML first when the client has no preference. The
RDF itself is written by :func:`healthkg.server.responses.rdf_response`.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import request
from werkzeug.exceptions import NotAcceptable

from healthkg.engine.formats import Format, format_named

# The formats pages link to, in the order they are listed.
PAGE_FORMATS: tuple[Format, ...] = tuple(format_named(name) for name in ("turtle", "jsonld", "ntriples", "rdfxml"))
BY_EXTENSION = {fmt.extension: fmt for fmt in PAGE_FORMATS}
BY_MEDIA_TYPE = {fmt.media_type: fmt for fmt in PAGE_FORMATS} | {"application/json": BY_EXTENSION["jsonld"]}
HTML = "text/html"


def negotiate(offers: Iterable[str]) -> str:
    """The offered media type the client prefers; the first offer when it has no preference."""
    offers = list(offers)
    if not request.accept_mimetypes:
        return offers[0]
    best = request.accept_mimetypes.best_match(offers)
    if best is None:
        raise NotAcceptable(f"this resource is available as {', '.join(offers)}")
    return best
