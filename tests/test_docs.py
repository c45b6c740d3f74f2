"""The README stays true: its commands, API, categories, paths and site adapters match the code."""

import re
from pathlib import Path

import pytest

from toontje.api import create_app
from toontje.cli import build_parser
from toontje.rules import CATEGORY_LEVELS

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")
TEST_COMMAND = "bash tests/run-all.sh"


def test_ci_runs_the_test_command_the_readme_gives():
    assert TEST_COMMAND in README
    ci_commands = [line.strip() for line in (REPO / ".ci/run").read_text().splitlines()
                   if line.strip() and not line.lstrip().startswith("#")]
    assert any(command.startswith(TEST_COMMAND) for command in ci_commands), ci_commands


def test_the_run_command_names_a_real_subcommand():
    run_line = next(line for line in README.splitlines() if "-m toontje serve" in line)
    assert run_line.startswith("python3 -m pip install . && python3 -m toontje serve")
    build_parser().parse_args(["serve"])


@pytest.mark.parametrize("rule", [r for r in create_app({"TESTING": True}).url_map.iter_rules()
                                  if r.endpoint != "static" and "<" not in r.rule],
                         ids=lambda r: r.rule)
def test_every_route_is_documented(rule):
    methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
    for method in methods:
        assert f"{method} {rule.rule}" in README or f"`{rule.rule}`" in README, f"{method} {rule.rule}"


@pytest.mark.parametrize("category", sorted(CATEGORY_LEVELS))
def test_every_category_is_in_the_readme_table(category):
    assert re.search(rf"^\| `{re.escape(category)}` \| {CATEGORY_LEVELS[category]} \|", README, re.M), category


def subcommands():
    parser = build_parser()
    action = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return sorted(action.choices)


@pytest.mark.parametrize("command", subcommands())
def test_every_subcommand_is_documented(command):
    assert f"toontje {command}" in README


@pytest.mark.parametrize("adapter", sorted(p.name for p in (REPO / "extension/content/sites").glob("*.js")))
def test_every_site_adapter_is_documented(adapter):
    assert f"extension/content/sites/{adapter}" in README


def test_every_path_in_the_map_exists():
    table = README.split("## Where things live", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| ") and "`" in line]
    assert len(rows) > 10
    for row in rows:
        # A row names a full path first; later bare names ("`text.py`") sit in the same folder.
        names = re.findall(r"`([^`]+)`", row.rsplit(" | ", 1)[1])
        folder = REPO / Path(names[0].rstrip("/")).parent
        for name in names:
            path = REPO / name if name.split("/")[0] in ("helper", "extension", "tests") else folder / name
            assert path.exists(), (row, name)
