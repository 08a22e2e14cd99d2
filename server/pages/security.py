"""Headers that keep a page from running what it did not ship: a Content-Security-Policy and nosniff.

Pages show text from the graph, and the graph can hold anything a document or a
client's update put there. Templates escape it and link only web addresses
(:func:`.terms.web_url`); the policy is the second wall: scripts, styles, fonts,
images and fetches come from this server only, and no inline script runs (the
pages' scripts are files under ``static/``; JSON handed to a script sits in a
``<script type="application/json">`` block, which is data, not code). Inline
*styles* stay allowed because the charting and query libraries set them on the
elements they draw. ``X-Content-Type-Options: nosniff`` goes on every response,
so a download or an API answer is never run as a script or a page.
"""

from __future__ import annotations

from flask import Flask, Response

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'self'",
))


def _secure(response: Response) -> Response:
    response.headers["X-Content-Type-Options"] = "nosniff"
    if response.mimetype == "text/html":
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def install(app: Flask) -> None:
    """Add the headers to every response of the app (pages, API, endpoint, downloads)."""
    app.after_request(_secure)
