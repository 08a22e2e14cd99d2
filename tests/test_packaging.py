"""The folders install as one namespace, healthkg.*, and a wheel carries every data file."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BARE_IMPORT = re.compile(r"^\s*(from|import)\s+(ontology|loaders|queries|server|cli|data)\b", re.MULTILINE)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    """A wheel built from a copy of the tracked files, so the checkout gets no build/ debris."""
    source = tmp_path_factory.mktemp("source")
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True).stdout
    for name in filter(None, tracked.decode("utf-8").split("\0")):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(source)],
        check=True, capture_output=True, text=True,
    )
    (built,) = out.glob("healthkg-*.whl")
    return zipfile.ZipFile(built)


def test_wheel_has_only_the_healthkg_namespace(wheel: zipfile.ZipFile) -> None:
    tops = {name.split("/")[0] for name in wheel.namelist() if not name.split("/")[0].endswith(".dist-info")}
    assert tops == {"healthkg"}
    assert not any(name.startswith("healthkg/tests") for name in wheel.namelist())


def test_wheel_carries_data_files(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    for folder, suffix in [
        ("ontology", ".ttl"),
        ("ontology", ".tsv"),
        ("ontology", ".jsonld"),
        ("ontology/vocab", ".ttl"),
        ("ontology/qc", ".rq"),
        ("queries", ".rq"),
        ("data/documents", ".md"),
        ("data/curated", ".tsv"),
        ("loaders", ".tsv"),
        ("server", ".ttl"),
        ("server/service_queries", ".rq"),
        ("server/pages/templates", ".html"),
        ("server/pages/page_queries", ".rq"),
        ("server/pages/static", ".css"),
        ("server/pages/static", ".js"),
        ("engine/export_queries", ".rq"),
    ]:
        shipped = {n for n in names if n.startswith(f"healthkg/{folder}/") and n.endswith(suffix)}
        local = {f"healthkg/{folder}/{p.name}" for p in (ROOT / folder).glob(f"*{suffix}")}
        assert local and local <= shipped, f"{folder}/*{suffix} missing from the wheel: {local - shipped}"


def test_no_bare_imports_of_the_top_level_folders() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: {match.group(0).strip()}"
        for folder in ("ontology", "loaders", "queries", "server", "cli", "tests", "bench")
        for path in (ROOT / folder).rglob("*.py")
        for match in BARE_IMPORT.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_no_tests_package_marker() -> None:
    assert not (ROOT / "tests" / "__init__.py").exists()


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "healthkg"
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, check=True)
    for command in ("build", "serve", "query", "validate"):
        assert command in result.stdout
