"""Command output as a user reads it: text printed as written, and in the chosen language."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from reports.summary import print_warnings
from sim.errors import Problem, ScenarioError
from tests.conftest import ROOT
from vtsim.cli.command_support import print_problems


def _printed(write: object) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=200, color_system=None)
    assert callable(write)
    write(console)
    return buffer.getvalue()


def test_problems_and_warnings_are_printed_without_markup() -> None:
    problem = Problem("s.yaml", "users.0.name", "must match ^[a-z]*$", "'x[b]y'")
    shown = _printed(lambda c: print_problems(c, ScenarioError([problem])))
    assert "must match ^[a-z]*$ (got 'x[b]y')" in shown
    warned = _printed(lambda c: print_warnings(c, ["value [b]bold[/b] and [red]"]))
    assert "value [b]bold[/b] and [red]" in warned


def test_check_prints_a_bracketed_value_as_written(tmp_path: Path) -> None:
    scenario = (ROOT / "scenarios" / "lier-2026.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(scenario.replace("tenant: lier", "tenant: \"li[b]er\"", 1), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "vtsim", "check", str(bad)], cwd=ROOT,
                            text=True, capture_output=True, timeout=120)
    out = result.stdout + result.stderr
    assert result.returncode == 2, out
    assert "li[b]er" in out and "[a-z]" in out
