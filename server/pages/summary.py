"""What an entity page says first: its kind, a title that says what it is, the facts people look for, its budget.

A budget figure is titled by what it is the budget of, the year and the project it
is counted in ("FY2020 budget of X in Y"), not by its program's name; every other
entity by its name in the reader's language. The card's facts come from one page
query (``entity-summary``); the chart under it is drawn in the browser from the
named query that answers the same question for everyone (a program's series, a
project's or a ministry's share by year), and the sparkline beside the card is
drawn here, as SVG, from the figures the page already has.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from markupsafe import Markup, escape

from healthkg.server.pages.language import name, t
from healthkg.server.pages.queries import Row, select
from healthkg.server.pages.terms import oku_rounded, words

HKG = "https://w3id.org/healthkg/ontology#"
FIGURE_RANKS = range(20, 30)
# Kinds whose page lists the programs linked to them.
WITH_MEMBERS = {"IntegratedProject", "Ministry", "FundingAgency", "DiseaseArea", "DevelopmentPurpose", "ProgramGroup"}
# How each question about a kind's budget is asked of the named-query API: (chart kind, query, parameter).
CHARTS = {
    "Program": ("program-series", "program-budget-series", "program"),
    "IntegratedProject": ("project-series", "ministry-project-share", "project"),
    "Ministry": ("ministry-series", "ministry-project-share", ""),
    "FiscalYear": ("year-projects", "ministry-project-share", "fiscal_year"),
}
# Which figure stands for a project's budget in a year, best first (as on the front door).
BASIS_ORDER = ("stated", "declared", "programs")


@dataclass
class Card:
    """The summary of one entity: its kind and the values of each field the card shows."""

    kind: Row | None
    labels: dict[str, list[str]]
    fields: dict[str, list[Row]] = field(default_factory=dict)

    @property
    def kind_name(self) -> str:
        return str(self.kind["value"]).rpartition("#")[2] if self.kind else ""

    @property
    def kind_label(self) -> str:
        if not self.kind:
            return ""
        return name(str(self.kind.get("value_ja", "")), words(str(self.kind.get("value_en", ""))) or self.kind_name)

    @property
    def periods(self) -> list[str]:
        """The plan periods of the projects the entity is listed under, or of the project itself."""
        found = {str(row["period"]) for key in ("project", "period", "in_project") for row in self.fields.get(key, [])
                 if "period" in row}
        return sorted(found)

    @property
    def is_figure(self) -> bool:
        return self.kind is not None and int(str(self.kind["rank"])) in FIGURE_RANKS

    def first(self, key: str) -> Row | None:
        values = self.fields.get(key)
        return values[0] if values else None

    def name_of(self, key: str) -> str:
        row = self.first(key)
        if row is None:
            return ""
        return name(str(row.get("value_ja", "")), str(row.get("value_en", ""))) or str(row["value"])

    @property
    def title(self) -> str:
        """What the entity is, in a line: its name, or for a budget figure its year, holder and project."""
        if self.is_figure:
            year_row = self.first("fiscal_year")
            year = str(year_row["value"]) if year_row else ""
            holder, project = self.name_of("budget_of"), self.name_of("in_project")
            if project == holder:
                project = ""
            kind = self.kind_label
            if year and holder:
                if t("ja", "en") == "en":
                    text = f"FY{year} {kind.lower()} of {holder}" + (f" in {project}" if project else "")
                else:
                    text = f"{holder}の{year}年度{kind}" + (f"（{project}）" if project else "")
                return text
        return name(self.labels["ja"][0] if self.labels["ja"] else "",
                    self.labels["en"][0] if self.labels["en"] else "") or (
            self.labels["other"][0] if self.labels["other"] else "")

    @property
    def subtitle(self) -> str:
        """The name in the other language (or, for a figure, its own label as the source gives it)."""
        ja = self.labels["ja"][0] if self.labels["ja"] else ""
        en = self.labels["en"][0] if self.labels["en"] else ""
        if self.is_figure:
            return ""
        other = en if t("ja", "en") == "ja" else ja
        return other if other and other != self.title else ""


def card(iri: str, labels: dict[str, list[str]]) -> Card:
    rows = select("entity-summary", iri=iri)
    fields: dict[str, list[Row]] = defaultdict(list)
    seen: set[tuple[str, str]] = set()
    for row in rows:
        key = (str(row["field"]), str(row["value"]))
        if key not in seen:
            seen.add(key)
            fields[key[0]].append(row)
    kinds = sorted(fields.pop("kind", []), key=lambda row: int(str(row["rank"])))
    return Card(kinds[0] if kinds else None, labels, dict(fields))


def chart(iri: str, summary: Card) -> dict[str, object] | None:
    """The chart of this entity's budget over the years: the chart kind, query, parameters and extras."""
    spec = CHARTS.get(summary.kind_name)
    if spec is None:
        return None
    kind, query, parameter = spec
    extra = {"ministry": summary.labels["ja"][0]} if kind == "ministry-series" and summary.labels["ja"] else {}
    value = iri
    if parameter == "fiscal_year":  # a fiscal year is asked for by its number
        year = summary.first("fiscal_year")
        if year is None:
            return None
        value = str(year["value"])
    return {"kind": kind, "query": query, "params": {parameter: value} if parameter else {}, "extra": extra}


def _program_points(budget: list[Row]) -> dict[int, Decimal]:
    """A program's budget per year: its whole budget where a source states it, else its document lines."""
    whole: dict[int, Decimal] = {}
    lines: dict[int, Decimal] = defaultdict(Decimal)
    for row in budget:
        if "fiscal_year" not in row or "initial" not in str(row.get("stage", "initial")):
            continue
        year, amount, kind = int(str(row["fiscal_year"])), Decimal(str(row["amount_yen"])), str(row["kind"])
        if kind == HKG + "ProgramBudget":
            whole[year] = max(whole.get(year, Decimal(0)), amount)
        elif kind == HKG + "BudgetAllocation" and not str(row.get("relisted", "")).endswith("duplicate"):
            lines[year] += amount
    return {year: whole.get(year, lines.get(year, Decimal(0))) for year in sorted(set(whole) | set(lines))}


def basis_label(basis: str) -> str:
    return {"stated": t("資料の総額", "stated total"), "declared": t("文書の総額", "declared total"),
            "programs": t("事業の計上額の計", "its programs' figures")}.get(basis, basis)


def latest_budgets() -> dict[str, Row]:
    """Each project's budget in the latest fiscal year that has one (initial budget), on its best basis.

    Bases are alternatives for one year (a stated total, a declared total, the programs' figures added
    up), so a project's years are never compared across bases in a line: only the latest is shown.
    """
    best: dict[str, Row] = {}
    for row in select("project-budgets", stage="initial"):
        project = str(row["project"])
        held = best.get(project)
        key = (int(str(row["fiscal_year"])), -BASIS_ORDER.index(str(row["basis"])))
        if held is None or key > (int(str(held["fiscal_year"])), -BASIS_ORDER.index(str(held["basis"]))):
            best[project] = row
    return best


def sparkline(summary: Card, budget: list[Row]) -> Markup | None:
    """A small SVG of a program's budget by fiscal year (initial budgets), or None when it has fewer than two."""
    if summary.kind_name != "Program":
        return None
    points = _program_points(budget)
    if len(points) < 2:
        return None
    width, height, pad = 280, 64, 6
    years = list(points)
    top = max(points.values()) or Decimal(1)
    span = max(years[-1] - years[0], 1)

    def xy(year: int, amount: Decimal) -> tuple[float, float]:
        return (pad + (width - 2 * pad) * (year - years[0]) / span,
                height - pad - float(amount / top) * (height - 2 * pad))

    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(year, amount) for year, amount in points.items()))
    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5"><title>FY{year}: {escape(oku_rounded(amount))} 億円</title>'
        "</circle>" for year, amount in points.items() for x, y in [xy(year, amount)])
    label = t("年度別予算（当初）", "Budget by fiscal year (initial)")
    return Markup(
        f'<svg class="sparkline" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(label)}" data-years="{" ".join(map(str, years))}">'
        f'<polyline points="{path}" fill="none" stroke="#2f6f8f" stroke-width="1.5"/>'
        f'<g fill="#2f6f8f">{dots}</g></svg>'
        f'<p class="note">{escape(label)}: FY{years[0]}–FY{years[-1]}, '
        f'{t("最大", "max")} {escape(oku_rounded(top))} 億円</p>')


def referrers(incoming: list[Row]) -> dict[str, list[Row]]:
    """What points at the entity, the domain apart from bookkeeping (curated facts, mentions, source lines)."""
    parts: dict[str, list[Row]] = {"domain": [], "bookkeeping": []}
    for row in incoming:
        subject = str(row["subject"])
        bookkeeping = "/id/fact/" in subject or "/id/mention/" in subject or "#L" in subject
        parts["bookkeeping" if bookkeeping else "domain"].append(row)
    return parts
