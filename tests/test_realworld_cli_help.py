"""Help screens a new user reads (issue 15): no '<bool>' after flags, 'FILE' in usage lines."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from lstmfuse.cli import app


@pytest.mark.parametrize("command", [["info"], ["convert"], ["continue"], ["render"], ["batch", "set-meta"]])
def test_help_has_no_type_noise(command):
    r = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "120"})
    assert r.exit_code == 0, r.output
    assert "<bool>" not in r.output
    usage = next(line for line in r.output.splitlines() if "Usage:" in line)
    assert "{" not in usage and "}" not in usage, usage


def test_value_options_keep_their_type():
    r = CliRunner().invoke(app, ["info", "--help"], env={"COLUMNS": "120"})
    assert re.search(r"--tune\s+<int", r.output), r.output
    assert re.search(r"Usage: lstmfuse info \[OPTIONS\] FILE\b", r.output), r.output
