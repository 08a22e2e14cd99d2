"""Document identity: each file read gets one IRI, readable, unique in the build and stable across builds.

A document is named by its file stem, as a person would cite it, Unicode kept
(``令和7年度_医薬品.md`` → ``document/令和7年度_医薬品``): NFKC-normalised,
lower-cased, and with characters that have a meaning in an IRI or a URL path
(``/ ? # % &``, spaces, …) turned into ``-``. Two different files with one stem
(``a/deck.md``, ``b/deck.md``) are told apart by the first hex digits of their
content's SHA-256, which depend on nothing but the file itself; the same bytes
given twice, or two names that still meet, are a collision the build stops at,
naming both files.

>>> slug_of_stem("令和7年度_医薬品")
'令和7年度_医薬品'
>>> slug_of_stem("2020-08-04 CAS #1 (Genome)")
'2020-08-04-cas-1-(genome)'
>>> slug_of_stem("ｹﾞﾉﾑ資料 - 第2版")
'ゲノム資料-第2版'
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from healthkg.loaders.errors import DocumentError

# Kept: letters, marks and digits of any script, and the unreserved -._~ and ( ) of RFC 3987.
_UNSAFE_RUN = re.compile(r"[^\w.~()-]+")
_DASHES = re.compile(r"-{2,}")
_DISAMBIGUATION_DIGITS = 8


class Identified(Protocol):
    """What identity needs of a parsed document: where it was read and the digest of its bytes."""

    path: Path
    sha256: str
    slug: str


def slug_of_stem(stem: str) -> str:
    """The readable part of a document's identifier, from its file stem (empty when nothing is left)."""
    text = unicodedata.normalize("NFKC", stem).lower()
    return _DASHES.sub("-", _UNSAFE_RUN.sub("-", text)).strip("-.")


def default_slug(path: Path, sha256: str) -> str:
    """A document's identifier when no other document of the build shares its stem."""
    return slug_of_stem(path.stem) or f"doc-{sha256[:12]}"


def assign_slugs(documents: Sequence[Identified]) -> None:
    """Give every document of one build a distinct identifier, or stop naming the two files that collide."""
    by_slug: dict[str, list[Identified]] = defaultdict(list)
    for document in documents:
        by_slug[default_slug(document.path, document.sha256)].append(document)
    taken: dict[str, Identified] = {}
    for slug, sharing in by_slug.items():
        for index, document in enumerate(sharing):
            for earlier in sharing[:index]:
                if earlier.sha256 == document.sha256:
                    raise DocumentError(document.path, None, f"the same document as {earlier.path}: give it once")
            document.slug = slug if len(sharing) == 1 else f"{slug}-{document.sha256[:_DISAMBIGUATION_DIGITS]}"
    for document in documents:
        other = taken.setdefault(document.slug, document)
        if other is not document:
            raise DocumentError(
                document.path, None,
                f"same document identifier {document.slug!r} as {other.path}: rename one file",
            )
