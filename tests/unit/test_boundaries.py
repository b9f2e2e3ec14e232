"""The model stays free of transport and presentation libraries (DESIGN.md §2)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_importing_the_model_imports_neither_paho_nor_rich() -> None:
    code = (
        "import sys, sim.run.runner, sim.scenario.loading, sim.model.metrics\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('paho', 'rich', 'typer')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_nothing_imports_the_command_line() -> None:
    offenders = [
        path for folder in ("sim", "devices", "reports")
        for path in (ROOT / folder).rglob("*.py")
        if "from vtsim" in path.read_text(encoding="utf-8")
        or "import vtsim" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
