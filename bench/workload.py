"""The benchmark's queries and how their parameters become query text.

Queries are ``.rq`` files with the same ``#+`` header as the named queries, read
with the same parser, so a benchmark query can move into ``queries/`` as is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from healthkg.queries.catalogue import NamedQuery, load_query_file

QUERIES = Path(__file__).parent / "queries"
BINDINGS = ("inline", "where")


@dataclass(frozen=True)
class Workload:
    analytical: list[NamedQuery]
    point: NamedQuery
    sample: NamedQuery

    @classmethod
    def load(cls, folder: Path = QUERIES) -> Workload:
        queries = [load_query_file(path) for path in sorted(folder.glob("*.rq"))]
        point = [q for q in queries if "point" in q.tags]
        sample = [q for q in queries if "sample" in q.tags]
        if len(point) != 1 or len(sample) != 1:
            raise ValueError(f"{folder}: expected one query tagged point and one tagged sample")
        return cls([q for q in queries if "analytical" in q.tags], point[0], sample[0])


def render(query: NamedQuery, values: dict[str, str], binding: str = "inline") -> str:
    """Query text with parameters bound, in one of two shapes.

    ``inline`` writes each typed term (serialised by pyoxigraph, so it cannot change
    the query's structure) where the variable stood, as a SPARQL client would
    (``BOUND(?_x)`` of a bound parameter becomes ``true``);
    ``where`` is the named-query API's shape (a VALUES block at the top of the WHERE
    clause). Both answer the same, but engines plan them differently, which is
    itself worth measuring.
    """
    if binding == "where":
        return query.render(values)
    if binding != "inline":
        raise ValueError(f"unknown binding {binding!r} (one of {', '.join(BINDINGS)})")
    text = query.text
    for name, term in query.bind(values).items():
        text = re.sub(rf"\bBOUND\s*\(\s*\?_{name}\s*\)", "true", text, flags=re.IGNORECASE)  # bound, by definition
        text = _replace_variable(text, f"?_{name}", str(term))
    return text


def _replace_variable(text: str, variable: str, term: str) -> str:
    out, start = [], 0
    while (found := text.find(variable, start)) >= 0:
        end = found + len(variable)
        if end < len(text) and (text[end].isalnum() or text[end] == "_"):
            out.append(text[start:end])
        else:
            out.append(text[start:found] + term)
        start = end
    out.append(text[start:])
    return "".join(out)
