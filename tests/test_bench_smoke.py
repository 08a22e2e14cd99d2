"""The benchmark's generator and harness on tiny data: seconds, not minutes (the benchmark itself is `make bench`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from pyoxigraph import NamedNode, RdfFormat, Store

BENCH = Path(__file__).resolve().parent.parent / "bench"
HKG = "https://w3id.org/healthkg/ontology#"
TINY = 8000


def bench(script: str, *args: str) -> str:
    completed = subprocess.run(
        [sys.executable, str(BENCH / script), *args], capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bench") / "tiny.nq"
    summary = json.loads(bench("generate.py", "--triples", str(TINY), "--seed", "3", "--out", str(path)))
    assert abs(summary["quads"] - TINY) <= 0.1 * TINY
    return path


@pytest.fixture(scope="module")
def tiny_store(tiny: Path) -> Store:
    store = Store()
    store.bulk_load(path=str(tiny), format=RdfFormat.N_QUADS)
    return store


def test_generator_is_seeded(tiny: Path, tmp_path: Path) -> None:
    again, other = tmp_path / "again.nq", tmp_path / "other.nq"
    bench("generate.py", "--triples", str(TINY), "--seed", "3", "--out", str(again))
    bench("generate.py", "--triples", str(TINY), "--seed", "4", "--out", str(other))
    assert again.read_bytes() == tiny.read_bytes()
    assert other.read_bytes() != tiny.read_bytes()


def test_generated_graph_has_the_shape_of_a_build(tiny_store: Store) -> None:
    def ask(text: str) -> bool:
        return bool(
            tiny_store.query(
                f"PREFIX hkg: <{HKG}> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
                f"PREFIX prov: <http://www.w3.org/ns/prov#> {text}",
                use_default_graph_as_union=True,
            )
        )

    graphs = {q.graph_name.value for q in tiny_store.quads_for_pattern(None, None, None)}
    assert {
        "https://w3id.org/healthkg/graph/ontology",
        "https://w3id.org/healthkg/graph/reference",
        "https://w3id.org/healthkg/graph/calendar",
    } <= graphs
    assert len([g for g in graphs if "/graph/document/" in g]) > 3
    assert ask("ASK { GRAPH ?g { ?a a hkg:BudgetAllocation } }")
    # every budget line is in a document graph, with its figure and its source line in the same graph
    assert not ask(
        "ASK { GRAPH ?g { ?a a hkg:BudgetAllocation } FILTER NOT EXISTS { GRAPH ?g { "
        "?a hkg:forScheme ?s ; hkg:inProject ?p ; hkg:fiscalYear ?fy ; hkg:fiscalYearNumber ?n ; "
        "hkg:fundingRoute ?r ; hkg:amountYen ?y ; hkg:precisionYen ?e ; hkg:relistingStatus ?st ; "
        "prov:wasDerivedFrom ?loc . ?loc a hkg:SourceLocation ; hkg:lineNumber ?l ; hkg:sourceText ?t ; "
        "hkg:statedIn ?doc } } }"
    )
    # programs have both labels, a ministry, and disease areas that the real vocabulary defines
    assert not ask(
        "ASK { ?p a hkg:Program FILTER NOT EXISTS { ?p rdfs:label ?ja, ?en ; hkg:administeredBy ?m . "
        "FILTER(lang(?ja) = 'ja' && lang(?en) = 'en') } }"
    )
    assert ask("ASK { ?p hkg:concernsDiseaseArea ?d }")
    assert not ask(
        "ASK { ?p hkg:concernsDiseaseArea ?d FILTER NOT EXISTS { GRAPH <https://w3id.org/healthkg/graph/reference> "
        "{ ?d a hkg:DiseaseArea } } }"
    )
    assert ask("ASK { ?y hkg:fiscalYearNumber 2000 . ?z hkg:fiscalYearNumber 2024 }")
    assert len(list(tiny_store.quads_for_pattern(None, NamedNode(f"{HKG}fundingRoute"), None))) > 50


def rows_by_query(result: dict) -> dict[str, int]:
    return {name: entry["rows"] for name, entry in result["queries"].items()}


@pytest.fixture(scope="module")
def floor_result(tiny: Path) -> dict:
    return json.loads(bench("harness.py", "floor", "--data", str(tiny), "--phase-seconds", "0.5", "--warm-reps", "3"))


def test_floor_runs_every_phase(floor_result: dict) -> None:
    assert floor_result["programs"] > 10
    for name, entry in floor_result["queries"].items():
        assert entry["rows"] > 0 or name.startswith("label-"), name  # a search may find nothing in tiny data
        assert entry["warm"]["n"] >= 1 and entry["warm"]["median_ms"] > 0, name
        assert not entry["warm"]["errors"], name
    for phase in ("point_cold_8", "point_warm_1", "point_warm_4", "point_warm_8", "point_uncached_8", "mix_4"):
        assert floor_result[phase]["n"] > 0 and floor_result[phase]["qps"] > 0 and not floor_result[phase]["errors"]
    assert floor_result["point_cold_8"]["clients"] == 8
    assert floor_result["memory_after"]["VmRSS"] > 0


def test_api_parameter_binding_answers_alike(tiny: Path, floor_result: dict) -> None:
    other = json.loads(
        bench(
            "harness.py",
            "floor",
            "--data",
            str(tiny),
            "--phase-seconds",
            "0.2",
            "--warm-reps",
            "2",
            "--binding",
            "where",
        )
    )
    assert rows_by_query(other) == rows_by_query(floor_result)


@pytest.mark.slow
def test_harness_drives_a_real_endpoint_and_agrees_with_the_floor(
    tiny: Path, tmp_path: Path, serve_app, floor_result: dict
) -> None:
    from healthkg.engine.store import BuildInfo, write_store

    write_store(
        tmp_path / "store",
        tiny.read_bytes(),
        BuildInfo(built_at=datetime.now(timezone.utc).isoformat(), version="tiny"),
    )
    server = serve_app({"STORE_PATH": str(tmp_path / "store"), "ACCESS_LOG": False})
    result = json.loads(
        bench(
            "harness.py",
            "endpoint",
            server.sparql,
            "--pid",
            str(server.pid),
            "--phase-seconds",
            "0.5",
            "--warm-reps",
            "3",
        )
    )
    assert rows_by_query(result) == rows_by_query(floor_result)
    assert result["point_cold_8"]["n"] == floor_result["point_cold_8"]["n"]
    assert not result["point_warm_8"]["errors"] and result["point_warm_8"]["qps"] > 0


def test_harness_refuses_non_loopback_endpoints() -> None:
    completed = subprocess.run(
        [sys.executable, str(BENCH / "harness.py"), "endpoint", "http://example.org/sparql", "--pid", str(os.getpid())],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode != 0
    assert "loopback" in completed.stderr
