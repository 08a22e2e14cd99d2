"""What people see in a browser: landing page, query UI, linked-data entity pages, ontology, downloads, explorer.

One blueprint, ``pages``, carries them all (the landing page and UI directly,
the others as children), so the application registers the human-facing
surface in one line. Templates, static files and the SPARQL the pages run
(``page_queries/``) live in this package; every one of those queries goes
through the engine like any client's (:mod:`.queries`).
"""

from __future__ import annotations

import os

from flask import Blueprint

from healthkg.ontology import BASE
from healthkg.server.pages import (
    browser_doors,
    downloads,
    entity,
    explorer,
    landing,
    language,
    ontology,
    search,
    security,
    terms,
)

blueprint = Blueprint("pages", __name__)
blueprint.add_url_rule("/", "landing", landing.landing)
blueprint.add_url_rule("/ui", "query_ui", landing.query_ui)
blueprint.add_url_rule("/query", "query_alias", landing.query_ui)
blueprint.add_url_rule("/vendor/<path:filename>", "vendor", landing.vendor)
blueprint.add_url_rule("/search", "search", search.search_page)
blueprint.add_url_rule("/search.json", "search_json", search.search_json)
blueprint.add_url_rule("/lang/<code>", "language", language.switch)
for child in (entity.blueprint, ontology.blueprint, downloads.blueprint, explorer.blueprint):
    blueprint.register_blueprint(child)


@blueprint.record_once
def _configure(state: object) -> None:
    app = state.app  # type: ignore[attr-defined]
    app.config.setdefault("BASE_IRI", BASE)
    app.config.setdefault("VENDOR_DIR", os.path.join(app.static_folder, "vendor"))
    terms.register(app)
    language.register(app)
    security.install(app)
    browser_doors.install(app)
