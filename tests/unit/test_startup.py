"""Start-up: the command line loads heavy libraries only in the commands that use them.

``vtsim --version`` and ``vtsim --help`` load typer and nothing of the model, the reports or the
broker clients; each command's module loads when that command is chosen, and its ``--help``
still shows all its options (``benchmarks/startup.py`` measures the times).
"""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from tests.conftest import ROOT
from vtsim.cli.main import COMMANDS, CommandEntry, app, loaded_command

HEAVY = frozenset({"scipy", "matplotlib", "fpdf", "openpyxl", "pyarrow", "dask", "amqtt"})
"""Libraries that cost a command hundreds of milliseconds and megabytes before it starts."""


def loaded_after(code: str) -> set[str]:
    """Top-level packages a fresh interpreter has loaded after running ``code`` (exits too)."""
    probe = ("import atexit, sys\n"
             "atexit.register(lambda: print('loaded:', *sorted({m.split('.')[0] "
             "for m in sys.modules})))\n")
    result = subprocess.run([sys.executable, "-c", probe + code], cwd=ROOT,
                            capture_output=True, text=True, timeout=120, check=False)
    lines = [line for line in result.stdout.splitlines() if line.startswith("loaded:")]
    assert lines, result.stdout + result.stderr
    return set(lines[-1].split()[1:])


def run_cli(*args: str) -> str:
    """Code that runs ``vtsim ARGS`` as the console script does."""
    return (f"import sys\nsys.argv = ['vtsim', *{list(args)!r}]\n"
            "from vtsim.cli.main import main\nmain()")


def test_importing_the_command_line_loads_no_heavy_library() -> None:
    loaded = loaded_after("import vtsim.cli.main")
    assert "typer" in loaded
    assert loaded.isdisjoint(HEAVY | {"sim", "reports", "devices", "numpy", "pydantic"})


@pytest.mark.parametrize("args", [("--version",), ("--help",)])
def test_version_and_help_load_only_typer(args: tuple[str, ...]) -> None:
    loaded = loaded_after(run_cli(*args))
    assert loaded.isdisjoint(HEAVY | {"sim", "reports", "devices", "numpy", "pydantic"})


def test_the_live_centre_loads_no_heavy_library() -> None:
    # port 9 (discard) refuses the connection: the centre gets as far as connecting, then stops
    loaded = loaded_after(run_cli("centre", "--broker", "mqtt://127.0.0.1:9", "--db", "memory:",
                                  "--no-live"))
    assert {"paho", "pydantic", "vtsim"} <= loaded
    assert loaded.isdisjoint(HEAVY)


def test_the_help_lists_every_command_with_its_summary() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.replace("│", " ").split())  # the panel wraps long lines
    for entry in COMMANDS:
        assert f" {entry.name} {entry.summary}" in text, entry.name


@pytest.mark.parametrize("entry", COMMANDS, ids=lambda entry: entry.name)
def test_each_summary_is_the_first_paragraph_of_the_command_docstring(entry: CommandEntry) -> None:
    docstring = inspect.getdoc(entry.function_object()) or ""
    first = " ".join(docstring.split("\n\n")[0].split())
    assert entry.summary == first, (
        f"vtsim/cli/main.py shows {entry.name!r} as {entry.summary!r}; its docstring says "
        f"{first!r}: make them the same")


@pytest.mark.parametrize("entry", COMMANDS, ids=lambda entry: entry.name)
def test_each_command_help_shows_all_its_options(entry: CommandEntry) -> None:
    # wide enough that no option name is cut short in its panel
    result = CliRunner().invoke(app, [entry.name, "--help"], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    options = [opt for param in loaded_command(entry).params for opt in param.opts
               if opt.startswith("--")]
    assert options, entry.name
    missing = [opt for opt in options if opt not in result.output]
    assert missing == [], result.output


def test_a_mistyped_command_is_named_with_a_suggestion() -> None:
    result = CliRunner().invoke(app, ["centr"])
    assert result.exit_code == 2
    assert "No such command" in result.output and "centre" in result.output
