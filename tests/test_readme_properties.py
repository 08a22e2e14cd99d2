"""The README's "Ten properties to start with": each example runs on the default build and answers what it says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pyoxigraph import Store

from healthkg.engine.backends import LocalBackend
from healthkg.engine.store import open_store

README = Path(__file__).parent.parent / "README.md"
CANCER = "革新的がん医療実用化研究事業"


def section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## Ten properties to start with")
    return text[start : text.index("\n## ", start + 1)]


def blocks() -> list[str]:
    return [re.sub(r"^ +", "", block, flags=re.MULTILINE).strip()
            for block in re.findall(r"```sparql\n(.*?)```", section(), flags=re.DOTALL)]


def examples() -> dict[str, str]:
    """Property (the first `code` of each numbered item) → its example query, prefixes prepended."""
    prefixes, *queries = blocks()
    names = re.findall(r"^\d+\. `([^`]+)`", section(), flags=re.MULTILINE)
    assert len(names) == len(queries) == 10
    return {name: f"{prefixes}\n{query}" for name, query in zip(names, queries)}


@pytest.fixture(scope="module")
def store(seed_store: Path) -> Store:
    return open_store(seed_store)


def answer(store: Store, prop: str) -> list[dict[str, str]]:
    results = LocalBackend(store).select(examples()[prop])
    return [{k: v["value"] for k, v in row.items()} for row in results["results"]["bindings"]]


def test_the_section_names_ten_properties_each_in_its_example() -> None:
    for prop, query in examples().items():
        assert prop in query, prop


def test_each_example_answers_what_it_says(store: Store) -> None:
    names = {(r["ja"], r["en"]) for r in answer(store, "rdfs:label")}
    assert (CANCER, "Practical Research for Innovative Cancer Control") in names  # facts: label_en
    assert len({r["program"] for r in answer(store, "hkg:partOfProject")}) == 13  # FY2026 listings, データ利活用
    third = {r["program"] for r in answer(store, "hkg:inPeriod")}
    assert {CANCER, "肝炎等克服実用化研究事業", "橋渡し研究プログラム"} <= third
    ministries = {r["ministry"]: int(r["programs"]) for r in answer(store, "hkg:administeredBy")}
    assert ministries["厚生労働省"] >= 25 and ministries["文部科学省"] >= 10 and ministries["経済産業省"] >= 5
    cancer = {r["program"] for r in answer(store, "hkg:concernsDiseaseArea")}
    # the curated disease area of the cancer program and a text mention (L350) of the clinical genome DB program
    assert {CANCER, "臨床ゲノム情報統合データベース整備事業"} <= cancer
    kinds = {r["kind"].rsplit("#", 1)[1]: int(r["figures"]) for r in answer(store, "hkg:budgetOf")}
    assert set(kinds) == {"ProgramBudget", "ProgramShare", "BudgetAllocation"}
    assert {(r["stage"], int(float(r["yen"]))) for r in answer(store, "hkg:budgetStatus")} == {
        ("draft", 3_500_000_000), ("initial", 3_500_000_000)}  # 予算額(案) and 前年度予算額, FY2024
    series = [(int(r["year"]), int(float(r["yen"]))) for r in answer(store, "hkg:amountYen")]
    assert series[0] == (2020, 8_150_809_000) and series[-1] == (2025, 8_594_568_000)
    pharma = {(r["year"], r["route"], r.get("ministry", "")): int(float(r["yen"])) for r in answer(store, "hkg:appropriatedBy")}
    assert pharma == {("2021", "amed", ""): 33_600_000_000, ("2021", "inhouse", ""): 4_700_000_000,
                      ("2021", "all", ""): 38_300_000_000}
    (line,) = answer(store, "prov:wasDerivedFrom")
    assert (line["line"], "予算額32億円" in line["text"]) == ("217", True)
