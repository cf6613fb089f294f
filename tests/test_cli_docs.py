"""Every `pfkb` command is documented in the README, and its help runs."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from api.cli.main import cli
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_command_is_documented_and_has_help(name):
    assert f"pfkb {name}" in README, f"`pfkb {name}` is not in README.md"
    res = CliRunner().invoke(cli, [name, "--help"])
    assert res.exit_code == 0 and "Usage:" in res.output


def test_readme_starts_with_the_two_commands():
    head = README.split("\n", 12)[:8]
    assert any("scripts/run.sh" in line for line in head) and any("scripts/test.sh" in line for line in head)
    assert (ROOT / ".ci" / "run").read_text().strip().endswith("bash scripts/test.sh")


def test_unknown_data_dir_gives_a_clear_error(tmp_path):
    res = CliRunner().invoke(cli, ["records", "--json", "--data-dir", str(tmp_path / "none")])
    assert res.exit_code == 3
    assert "pfkb build" in res.output and "Traceback" not in res.output
