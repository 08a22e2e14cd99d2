"""The pages' language: Japanese or English, chosen with the switch in every page's header and remembered.

The choice is a cookie set by ``/lang/<code>`` (which then sends the reader back
to the page they were on), so it holds across pages and visits without script;
``?lang=`` on any page overrides it for that one view (a link can show a page in
the other language). Data keep both names where the graph has both: the chosen
language leads and the other follows it, and a thing named in one language only
is shown in that language whatever the choice (the graph has no translation to
fall back on, and none is made here).
"""

from __future__ import annotations

from flask import Flask, redirect, request
from werkzeug.wrappers import Response

LANGUAGES = ("ja", "en")
COOKIE = "healthkg_lang"
DEFAULT = "ja"
ONE_YEAR = 365 * 24 * 3600


def current() -> str:
    """The language this request's page is written in."""
    for asked in (request.args.get("lang"), request.cookies.get(COOKIE)):
        if asked in LANGUAGES:
            return asked
    return DEFAULT


def t(ja: str, en: str) -> str:
    """The page text in the reader's language (both wordings are written in the template)."""
    return en if current() == "en" else ja


def name(ja: object = "", en: object = "") -> str:
    """A thing's name in the reader's language, else in the other one."""
    first, second = (en, ja) if current() == "en" else (ja, en)
    return str(first or second or "")


def other_name(ja: object = "", en: object = "") -> str:
    """The name in the other language, when there is one and it differs from :func:`name`'s."""
    shown = name(ja, en)
    other = str((ja if current() == "en" else en) or "")
    return other if other and other != shown else ""


def _local(target: str | None) -> str:
    """``target`` when it is a path on this server (never another host: no open redirect), else ``/``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return request.script_root + "/"
    if any(ord(char) < 0x20 for char in target):
        return request.script_root + "/"
    return target


def switch(code: str) -> Response:
    """``/lang/<code>``: remember the language and go back to the page the reader came from."""
    response = redirect(_local(request.args.get("next")), code=303)
    if code in LANGUAGES:
        response.set_cookie(COOKIE, code, max_age=ONE_YEAR, samesite="Lax", httponly=True,
                            path=request.script_root + "/" if request.script_root else "/")
    return response


def _vary(response: Response) -> Response:
    if response.mimetype == "text/html":
        response.vary.add("Cookie")
    return response


def register(app: Flask) -> None:
    """Make the language helpers available to every template and mark pages as varying by cookie."""
    app.jinja_env.globals.update(lang=current, t=t, name=name, other_name=other_name, LANGUAGES=LANGUAGES)
    app.after_request(_vary)
