"""The audit: what a policy researcher should check before trusting the graph.

Each section is a named query over the built store (``healthkg.queries``), or a
listing of the curated inputs the model deliberately left out, so the audit of a
store and the build report say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyoxigraph import Store

from healthkg.checks.names import possibly_same
from healthkg.engine.backends import LocalBackend
from healthkg.loaders.facts import load_facts
from healthkg.loaders.mappings import skipped_identifiers
from healthkg.queries.catalogue import catalogue

_QUERY_SECTIONS = (
    ("Declared vs computed totals per project, year and route", "budget-reconciliation"),
    ("Budget figures documents state differently (the latest document's kept)", "audit-figure-disagreements"),
    ("Repaired conversion typos", "audit-repairs"),
    ("Programs without a ministry (no curated source gives it)", "audit-programs-without-ministry"),
    ("Unlinked mentions", "audit-unlinked-mentions"),
    ("Where documents and curated sources disagree", "audit-source-disagreements"),
    ("Integrated projects no source lists a program under", "audit-projects-without-programs"),
    ("Without an official English name (programs, projects, plans, bodies)", "audit-without-english-name"),
)
_PROGRAM_NAMES = """
PREFIX hkg: <https://w3id.org/healthkg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT DISTINCT ?program ?label WHERE { ?program a hkg:Program ; rdfs:label ?label . FILTER(lang(?label) = "ja") }
"""
_LINKED_PROGRAMS = """
PREFIX hkg: <https://w3id.org/healthkg/ontology#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
SELECT DISTINCT ?a ?b WHERE {
  ?a hkg:successorOf|hkg:predecessorOf|hkg:renamedFrom|owl:sameAs ?b .
  ?a a hkg:Program . ?b a hkg:Program .
}
"""


@dataclass(frozen=True)
class AuditSection:
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def summary(self) -> str:
        return f"{self.title}: {len(self.rows)}"


def _query_section(backend: LocalBackend, title: str, name: str) -> AuditSection:
    results = backend.select(catalogue()[name].render({}))
    columns = tuple(results["head"]["vars"])
    rows = tuple(tuple(b.get(c, {}).get("value", "") for c in columns) for b in results["results"]["bindings"])
    return AuditSection(title, columns, rows)


def _values(backend: LocalBackend, query: str) -> list[dict[str, str]]:
    bindings = backend.select(query)["results"]["bindings"]
    return [{key: value["value"] for key, value in row.items()} for row in bindings]


def possibly_same_section(backend: LocalBackend) -> AuditSection:
    """Programs whose names look like variants of each other and that no source links."""
    labels = {row["program"]: row["label"] for row in _values(backend, _PROGRAM_NAMES)}
    linked = [frozenset((row["a"], row["b"])) for row in _values(backend, _LINKED_PROGRAMS)]
    return AuditSection(
        "Programs possibly the same (name variants no source links: two entities until one does)",
        ("program", "other", "why"),
        tuple((labels[c.first], labels[c.second], c.reason) for c in possibly_same(labels, linked)),
    )


def audit_store(store: Store) -> list[AuditSection]:
    """All audit sections for a built store, in reading order."""
    backend = LocalBackend(store)
    sections = [_query_section(backend, title, name) for title, name in _QUERY_SECTIONS]
    sections.append(possibly_same_section(backend))
    skipped = load_facts().skipped
    sections.append(
        AuditSection(
            "Curated facts not loaded (unknown to the model, never guessed)",
            ("line", "fact", "reason"),
            tuple(
                (str(s.row.line), f"{s.row.subject} {s.row.predicate} {s.row.object}".strip(), s.reason)
                for s in skipped
            ),
        )
    )
    sections.append(
        AuditSection(
            "Reference identifiers not mapped",
            ("entity", "scheme", "identifier", "reason"),
            tuple((r["entity"], r["scheme"], r["identifier"], r["reason"]) for r in skipped_identifiers()),
        )
    )
    return sections
