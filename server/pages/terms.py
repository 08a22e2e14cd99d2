"""How RDF terms appear on pages: links that stay on this server, compact names, amounts.

Entity IRIs hang off one base (``BASE_IRI``, default :data:`healthkg.ontology.BASE`)
and dereference here by path: ``<base>id/x`` at ``/id/x``, ``<base>ontology#T`` at
``/ontology#T``, named graphs at their Turtle download. Any other IRI is browsed
through ``/resource?iri=…`` (what this graph says about it) and linked out as well.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from urllib.parse import quote, urlsplit

from flask import Flask, current_app, request, url_for
from werkzeug.exceptions import BadRequest

from healthkg.engine.licence import DATA_LICENSE, DATA_LICENSE_NAME, RIGHTS, SOURCE_TERMS_NAME
from healthkg.engine.prefixes import compact
from healthkg.queries.catalogue import Parameter, ParameterError
from healthkg.server.pages.queries import Row, Term

_PATH_SAFE = "/#:@!$&'()*+,;=-._~"
YEN_PER_OKU = Decimal(100_000_000)


def checked_iri(text: str, name: str = "iri") -> str:
    """``text`` if it is an absolute IRI a query can bind (as a named-query ``iri`` parameter checks it).

    Raises ParameterError otherwise: a URL path or argument can hold anything (spaces, bytes that are not
    UTF-8), and a page must answer it with 400 or 404, never hand it to the store.
    """
    return str(Parameter(name=name, type="iri", required=True).term(text).value)


def iri_argument(name: str, hint: str) -> str:
    """The absolute IRI in query argument ``name``, checked as a named-query ``iri`` parameter; else 400.

    werkzeug's BadRequest, which the page blueprints render as an error page.
    """
    try:
        return checked_iri(request.args.get(name, ""), name)
    except ParameterError as error:
        raise BadRequest(f"{name}: {hint} ({error})") from error


def web_url(iri: str) -> str | None:
    """``iri`` if a browser may follow it as a link (http or https), else None.

    The graph can hold any IRI (``javascript:``, ``data:``, ``file:`` in a mapping or a
    provenance link); only web addresses become live links, the others are shown as text.
    """
    try:
        parts = urlsplit(iri)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    if any(ord(char) < 0x21 or char in '"<>\\^`{|}' for char in iri):
        return None
    return iri


def base_iri() -> str:
    return str(current_app.config["BASE_IRI"])


def local_path(iri: str) -> str | None:
    """The path on this server an IRI of this graph dereferences at, or None for other IRIs."""
    base, root = base_iri(), request.script_root
    if iri == base + "ontology" or iri.startswith(base + "ontology#"):
        return f"{root}/ontology" + quote(iri[len(base + "ontology") :], safe=_PATH_SAFE)
    if iri.startswith(base + "id/") and len(iri) > len(base + "id/"):
        return f"{root}/id/" + quote(iri[len(base + "id/") :], safe=_PATH_SAFE)
    if iri.startswith(base + "graph/") and len(iri) > len(base + "graph/"):
        return url_for("pages.downloads.named_graph", name=iri[len(base + "graph/") :])
    return None


def href(iri: str) -> str:
    """Where a link to ``iri`` goes: its page here, or what this graph says about it."""
    return local_path(iri) or url_for("pages.entity.by_iri", iri=iri)


def host(iri: Term | str) -> str:
    """The host of a web address, for a link's text where the whole URL would not fit (the link keeps it)."""
    try:
        return urlsplit(str(iri)).netloc.removeprefix("www.") or str(iri)
    except ValueError:
        return str(iri)


def is_external(iri: str) -> bool:
    return local_path(iri) is None and web_url(iri) is not None


def short(iri: str) -> str:
    """The compact IRI a page shows; the full IRI when no prefix covers it."""
    return compact(iri) or iri


def label(row: Row, stem: str) -> str:
    """``stem_ja`` and ``stem_en`` of a row, ja first, en alongside."""
    names = [str(row[key]) for key in (f"{stem}_ja", f"{stem}_en") if key in row]
    return " / ".join(dict.fromkeys(names))


def oku(amount: Term | str) -> str:
    """An amount in yen as 億円 (hundred millions of yen), the unit the documents use."""
    try:
        value = Decimal(str(amount)) / YEN_PER_OKU
    except InvalidOperation:
        return str(amount)
    text = format(value.normalize(), "f")
    whole, dot, fraction = text.partition(".")
    return f"{int(whole):,}{dot}{fraction}"


def oku_rounded(amount: Term | Decimal | str) -> str:
    """An amount in 億円 to a tenth (one decimal place), for summaries; exact figures stay in the tables."""
    try:
        value = Decimal(str(amount)) / YEN_PER_OKU
    except InvalidOperation:
        return str(amount)
    return f"{value:,.1f}" if value < 1000 else f"{value:,.0f}"


def yen(amount: Term | str) -> str:
    """A number with its thousands grouped (1,900,000,000 yen); anything else as it is."""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,}"


def words(name: Term | str | None) -> str:
    """A class or property's English label as words: ``DevelopmentPurpose`` reads "Development purpose"."""
    name = str(name or "")
    if " " in name or not re.search(r"[a-z][A-Z]", name):
        return name
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)
    return spaced[:1] + spaced[1:].lower()


MARKDOWN_MARKS = re.compile(r"(\*\*|__)(.+?)\1")


def plain(text: Term | str) -> str:
    """Source text without the markdown emphasis the converted documents keep (``**重点**`` reads 重点)."""
    return MARKDOWN_MARKS.sub(r"\2", str(text))


def ordinal(number: Term | str) -> str:
    """1st, 2nd, 3rd, 4th … (plan periods in English)."""
    n = int(str(number))
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def lines(row: Row) -> str:
    """``L12`` or ``L12–L14`` for a row's ``line`` and ``end_line``."""
    if "line" not in row:
        return ""
    first, last = str(row["line"]), str(row.get("end_line", row["line"]))
    return f"L{first}" if first == last else f"L{first}–L{last}"


def unique(rows: Iterable[Row], *keys: str) -> list[Row]:
    """Rows with the first of each combination of ``keys`` kept (OPTIONAL labels can repeat rows)."""
    seen: dict[tuple[str, ...], Row] = {}
    for row in rows:
        seen.setdefault(tuple(str(row.get(key, "")) for key in keys), row)
    return list(seen.values())


def register(app: Flask) -> None:
    """Make the helpers available to every template."""
    app.jinja_env.filters.update(href=href, short=short, oku=oku, yen=yen, is_external=is_external,
                                  web_url=web_url)
    app.jinja_env.filters.update(words=words, number=yen, plain=plain, oku_rounded=oku_rounded,
                                 host=host)
    app.jinja_env.globals.update(label=label, lines=lines, ordinal=ordinal, local_path=local_path,
                                 DATA_LICENSE=DATA_LICENSE, DATA_LICENSE_NAME=DATA_LICENSE_NAME, RIGHTS=RIGHTS,
                                 SOURCE_TERMS_NAME=SOURCE_TERMS_NAME)
