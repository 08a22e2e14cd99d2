"""The reference facts file (seven columns) turned into the curated file the build reads.

The reference file (``subject, predicate, object, fiscal_year, amount_yen, source_url,
quote``) grows with each curation pass; ``healthkg facts-import`` rewrites
``data/curated/facts.tsv`` from it, so every reference row is there, in order, with
what the build needs to place it derived in columns of its own:

* ``subject_kind``: the kind of individual the vocabulary gives the subject's name
  (project, framework, organisation), program otherwise, or a curator decision;
* ``unit``: the unit the source stated an amount in (the stated amount found in the
  row's words or quote that equals ``amount_yen``, else a unit the words name);
* ``stage``: for a figure, the budget stage its words name first (the vocabulary's
  ``hkg:BudgetStatus`` markers: 要求額 → request, 予算案 → draft); a budget row that
  names none is an initial budget, an ``other`` row that names none is no figure;
* ``project``: for a program's share in one integrated project (``… PJ区分: 医薬品 2,824,811千円``),
  the project's name as written;
* ``decision``: ``skip: <reason>`` for a row a curator decision (``facts-decisions.tsv``)
  leaves out, or that restates a figure another row states with its scope.

Nothing here guesses an entity: names are resolved by the facts loader at build time.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from importlib import resources

from healthkg.loaders.amounts import stated_amounts
from healthkg.loaders.facts import COLUMNS, FactRow, FactsFileError, tsv_rows, year_and_amount
from healthkg.loaders.lexicon import Lexicon, default_lexicon
from healthkg.loaders.normalize import normalize
from healthkg.ontology import HKG

REFERENCE_COLUMNS = ("subject", "predicate", "object", "fiscal_year", "amount_yen", "source_url", "quote")
DECISIONS_FILE = "curated/facts-decisions.tsv"
_ANY = "*"
_SHARE = re.compile(r"PJ区分[^:]*:\s*(?P<project>[^\d:]+?)\s*\d")
_SCOPED_KEYS = ("budget_fy_amed", "budget_fy_inhouse", "budget_fy_total")
_KINDS = ((HKG.IntegratedProject, "project"), (HKG.PolicyFramework, "framework"), (HKG.Organization, "organisation"))


@dataclass(frozen=True)
class Decision:
    subject: str
    predicate: str
    object: str
    fiscal_year: str
    decision: str
    reason: str

    def applies(self, row: FactRow) -> bool:
        year = "" if row.fiscal_year is None else str(row.fiscal_year)
        return self.subject == row.subject and all(
            want in (_ANY, have) for want, have in ((self.predicate, row.predicate), (self.object, row.object),
                                                     (self.fiscal_year, year)))


def read_reference(text: str, name: str = "facts.tsv") -> list[FactRow]:
    """The reference file's rows as facts rows with nothing derived yet; errors name the line."""
    rows = []
    for number, cells in tsv_rows(text, name, REFERENCE_COLUMNS):
        year, amount = year_and_amount(cells, name, number)
        rows.append(FactRow(number, cells["subject"], "", cells["predicate"], cells["object"], year, amount, "", "",
                            "", cells["source_url"], cells["quote"], ""))
    return rows


def read_decisions(text: str | None = None) -> list[Decision]:
    if text is None:
        text = resources.files("healthkg.data").joinpath(DECISIONS_FILE).read_text(encoding="utf-8")
    columns = ("subject", "predicate", "object", "fiscal_year", "decision", "reason")
    decisions = []
    for number, cells in tsv_rows(text, DECISIONS_FILE, columns):
        if not (cells["decision"] == "skip" or cells["decision"].startswith("kind:")) or not cells["reason"]:
            raise FactsFileError(f"{DECISIONS_FILE}:{number}: a decision is skip or kind:<subject_kind>, with a reason")
        decisions.append(Decision(**cells))
    return decisions


class _Deriver:
    def __init__(self, lexicon: Lexicon, decisions: list[Decision]) -> None:
        self.lexicon = lexicon
        self.decisions = decisions
        self.budget_keys = {"budget_fy", *_SCOPED_KEYS}

    def subject_kind(self, row: FactRow) -> str:
        for decision in self.decisions:
            if decision.decision.startswith("kind:") and decision.applies(row):
                return decision.decision.removeprefix("kind:")
        for candidate in self.lexicon.candidates(row.subject):
            for kind, name in _KINDS:
                if self.lexicon.is_a(candidate, kind):
                    return name
        return "program"

    def stated(self, row: FactRow) -> str:
        """The unit the source stated the amount in."""
        if row.amount_yen is None:
            return ""
        for text in (row.object, row.quote):
            for amount in stated_amounts(text, self.lexicon.units):
                if amount.yen == row.amount_yen:
                    return amount.unit
        words = normalize(row.object)
        named = [unit for unit in sorted(self.lexicon.units, key=len, reverse=True) if f"({unit}" in words]
        return named[0] if named else ""

    def stage(self, row: FactRow) -> str:
        if row.amount_yen is None:
            return ""
        stage = self.lexicon.stage_named(row.object)
        if stage is None and row.predicate in self.budget_keys:
            stage = self.lexicon.default_stage
        return self.lexicon.stage_codes[stage] if stage is not None else ""

    def decision(self, row: FactRow) -> str:
        for decision in self.decisions:
            if decision.decision == "skip" and decision.applies(row):
                return f"skip: {decision.reason}"
        return ""

    def derive(self, row: FactRow) -> FactRow:
        share = _SHARE.search(normalize(row.object)) if row.amount_yen is not None else None
        return replace(row, subject_kind=self.subject_kind(row), unit=self.stated(row), stage=self.stage(row),
                       project=share.group("project").strip() if share else "", decision=self.decision(row))


def _restatements(rows: list[FactRow]) -> dict[int, str]:
    """Rows that restate a figure another row of the same page states with its route (budget_fy_amed, …).

    One curation pass re-keyed project and government totals it had first filed as budget_fy of
    differently named subjects, and said where they were drafts; the scoped row says more, so the
    other is listed as restating it.
    """
    scoped = {(r.fiscal_year, r.amount_yen, r.source_url): r for r in rows if r.predicate in _SCOPED_KEYS}
    found = {}
    for row in rows:
        if row.predicate in _SCOPED_KEYS or row.amount_yen is None or row.subject_kind == "program" or row.decision:
            continue
        other = scoped.get((row.fiscal_year, row.amount_yen, row.source_url))
        if other is not None:
            found[row.line] = (f"skip: restates the figure of {other.subject} {other.predicate} FY{other.fiscal_year} "
                               f"({other.object}), from the same page, which states its route and stage")
    return found


def derive_rows(rows: Iterable[FactRow], lexicon: Lexicon | None = None,
                decisions: list[Decision] | None = None) -> list[FactRow]:
    """The curated rows for reference rows: every row kept, in order, with its derived columns."""
    deriver = _Deriver(lexicon or default_lexicon(), read_decisions() if decisions is None else decisions)
    derived = [deriver.derive(row) for row in rows]
    restated = _restatements(derived)
    return [replace(row, decision=restated.get(row.line, row.decision)) for row in derived]


def _cell(value: object) -> str:
    return "" if value is None else str(value)


def render_curated(rows: list[FactRow], reference_name: str, reference_sha256: str) -> str:
    """The curated file's text: a header saying where it comes from, then one line per reference row."""
    out = io.StringIO()
    out.write(
        f"# Verified facts from public pages: every row of the reference file {reference_name}\n"
        f"# ({len(rows)} rows, sha256 {reference_sha256}), in its order, with derived columns.\n"
        "# Written by `healthkg facts-import`; do not edit: change the reference file or facts-decisions.tsv.\n"
        "# subject_kind: program | namesake-program (a different program that shares the name: not matched) |\n"
        "#   project | framework | organisation | government (the government's whole medical R&D budget).\n"
        "# unit: the unit the source stated an amount in; stage: initial | draft | request | supplementary;\n"
        "# project: the integrated project a program's share (PJ区分) is counted in; decision: skip: <reason>.\n"
    )
    out.write("\t".join(COLUMNS) + "\n")
    for row in rows:  # cells hold no tab or newline: both files are read by splitting on them
        out.write("\t".join([row.subject, row.subject_kind, row.predicate, row.object, _cell(row.fiscal_year),
                             _cell(row.amount_yen), row.unit, row.stage, row.project, row.source_url, row.quote,
                             row.decision]) + "\n")
    return out.getvalue()


def import_reference(text: str, name: str = "facts.tsv") -> str:
    """The curated file for a reference file's text."""
    rows = derive_rows(read_reference(text, name))
    return render_curated(rows, name, hashlib.sha256(text.encode("utf-8")).hexdigest())
