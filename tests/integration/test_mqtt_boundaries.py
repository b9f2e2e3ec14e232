"""The broker and the MQTT client stay out of the model; amqtt loads only for ``vtsim broker``."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def loaded_after(imports: str) -> set[str]:
    """Top-level packages loaded by a fresh interpreter after ``imports``."""
    listing = "print(' '.join({m.split('.')[0] for m in sys.modules}))"
    code = f"import sys\n{imports}\n{listing}"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True,
                            capture_output=True, text=True)
    return set(result.stdout.split())


def test_the_model_imports_no_broker_client_or_terminal_library() -> None:
    loaded = loaded_after(
        "import sim, sim.run.runner, sim.scenario.loading, sim.model.metrics, sim.model.centre"
    )
    assert "sim" in loaded
    assert loaded.isdisjoint({"paho", "amqtt", "rich", "typer"})


def test_the_command_line_loads_the_embedded_broker_only_for_vtsim_broker() -> None:
    loaded = loaded_after("import vtsim.cli.main")
    assert "vtsim" in loaded and "typer" in loaded
    assert "amqtt" not in loaded


def test_the_live_centre_logic_needs_no_broker_library() -> None:
    loaded = loaded_after("import vtsim.live.centre")
    assert loaded.isdisjoint({"paho", "amqtt", "rich"})
