"""The documents around the code: the README's command table, the licences and the citation file."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

import click
import yaml

from healthkg.cli.main import cli
from healthkg.engine.licence import DATA_LICENSE

ROOT = Path(__file__).resolve().parent.parent
# The keys the Citation File Format 1.2.0 schema defines at the top level, and those it requires.
CFF_KEYS = {"abstract", "authors", "cff-version", "commit", "contact", "date-released", "doi", "identifiers",
            "keywords", "license", "license-url", "message", "preferred-citation", "references", "repository",
            "repository-artifact", "repository-code", "title", "type", "url", "version"}
CFF_REQUIRED = {"cff-version", "message", "title", "authors"}


def readme_commands() -> list[str]:
    """The first cell of each row of the README's command table."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Command line", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `(healthkg [^`]+)` \|", section, re.MULTILINE)


def test_readme_lists_every_command_once_with_all_its_options() -> None:
    rows = readme_commands()
    names = [row.split()[1] for row in rows]
    assert sorted(names) == sorted(cli.commands) and len(names) == len(set(names))
    for row in rows:
        command = cli.commands[row.split()[1]]
        options = {name for param in command.params if isinstance(param, click.Option)
                   for name in param.opts if name.startswith("--")}
        assert set(re.findall(r"(--[a-z][a-z-]*)", row)) == options, row
        for param in command.params:
            if isinstance(param, click.Option) and isinstance(param.type, click.Choice):
                shown = re.search(rf"{param.opts[-1]} ([a-z]+(?:\\\|[a-z]+)+)", row)
                assert shown, (row, param.opts)
                assert set(shown.group(1).split("\\|")) == set(param.type.choices), row


def test_licences_are_stated_where_people_look() -> None:
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("MIT License")
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg", encoding="utf-8")
    assert setup["metadata"]["license"] == "MIT"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Licence and citation", 1)[1].split("\n## ", 1)[0]
    assert "CC BY 4.0" in section and DATA_LICENSE in section
    assert "政府標準利用規約（第2.0版）" in section and "compatible with CC BY 4.0" in section
    assert "[LICENSE](LICENSE)" in section and "[CITATION.cff](CITATION.cff)" in section


def test_citation_file_is_cff_1_2_0() -> None:
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert CFF_REQUIRED <= set(citation) <= CFF_KEYS
    assert citation["cff-version"] == "1.2.0"
    assert all(isinstance(citation[key], str) and citation[key].strip() for key in ("message", "title"))
    assert citation["authors"] and all("name" in a or "family-names" in a for a in citation["authors"])
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg", encoding="utf-8")
    assert citation["version"] == setup["metadata"]["version"]
    assert citation["license"] == setup["metadata"]["license"]
    for reference in citation.get("references", []):
        assert {"type", "authors", "title"} <= set(reference)
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(reference.get("date-published", "2000-01-01")))
