"""Who may change the served graph: nobody by default; with updates enabled, holders of the bearer token.

Graph Store writes are checked here before their body is read; a SPARQL
Update is checked once its request has been read as an update (issue 11 asks
for the token first there too). Either way a rejected request changes nothing.
"""

from __future__ import annotations

import hmac

from flask import current_app, request

from healthkg.server.errors import Forbidden, Unauthorized

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="healthkg"'}


def require_writer(what: str) -> None:
    """Raise 403 when ``what`` is disabled, 401 unless the request bears the configured token."""
    if not current_app.config["UPDATE_ENABLED"]:
        raise Forbidden(f"{what} is disabled on this server (set UPDATE_ENABLED and UPDATE_TOKEN to allow it)")
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise Unauthorized(f"{what} needs an Authorization: Bearer <token> header", headers=CHALLENGE)
    token = current_app.config["UPDATE_TOKEN"]
    if not hmac.compare_digest(credentials.strip().encode(), str(token).encode()):
        raise Unauthorized("the bearer token is not valid", headers={**CHALLENGE,
                           "WWW-Authenticate": 'Bearer realm="healthkg", error="invalid_token"'})
