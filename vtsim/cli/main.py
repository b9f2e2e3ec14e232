"""The ``vtsim`` command line.

Every command lives in a module of its own under :mod:`vtsim.cli`, imported only when that
command runs or shows its ``--help``. ``vtsim --version`` and ``vtsim --help`` therefore load
typer and nothing of the simulation, the reports or the broker clients, and ``vtsim centre``
loads only what the live centre needs. :data:`COMMANDS` lists the commands, in the order
``vtsim --help`` shows them, with the one-line summary shown there (the first line of each
command's docstring; a test keeps the two the same).
"""

from __future__ import annotations

import faulthandler
import importlib
import signal
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Final

import typer
from typer.core import TyperCommand, TyperGroup

from vtsim import __version__


@dataclass(frozen=True, slots=True)
class CommandEntry:
    """Where a command is defined: ``function`` of ``module``, and its one-line summary."""

    name: str
    module: str
    function: str
    summary: str

    def function_object(self) -> Callable[..., Any]:
        """The command function (imports its module)."""
        function: Callable[..., Any] = getattr(importlib.import_module(self.module),
                                               self.function)
        return function


COMMANDS: Final = (
    CommandEntry("init", "vtsim.cli.init_commands", "init",
                 "Write a new municipality's scenario from its population, zones, home care "
                 "and devices."),
    CommandEntry("run", "vtsim.cli.run_commands", "run",
                 "Run a scenario's replications and write metrics, event log and resolved "
                 "scenario."),
    CommandEntry("check", "vtsim.cli.run_commands", "check",
                 "Validate a scenario file: every problem with its field path, staffing "
                 "warnings, and the benefit baseline against the municipality's home-care "
                 "totals."),
    CommandEntry("broker", "vtsim.cli.mqtt_commands", "broker",
                 "Run an embedded MQTT broker (amqtt, MQTT 3.1.1, anonymous) until Ctrl-C or "
                 "SIGTERM."),
    CommandEntry("centre", "vtsim.cli.mqtt_commands", "centre",
                 "Validate, store and answer every device message on a broker (ack or "
                 "rejection)."),
    CommandEntry("schema", "vtsim.cli.contract_commands", "schema",
                 "Print the device message contract: JSON Schema, AsyncAPI 3.0 or Markdown."),
    CommandEntry("validate", "vtsim.cli.contract_commands", "validate",
                 "Judge device messages against the contract, as the centre would; exit 1 if "
                 "any fails."),
    CommandEntry("emulate", "vtsim.cli.emulate_commands", "emulate",
                 "Run a scenario's device fleet on a broker: real messages, retained status, "
                 "last wills."),
    CommandEntry("conformance", "vtsim.cli.emulate_commands", "conformance",
                 "Watch one device on a broker and judge its messages against the contract "
                 "(exit 1: fail)."),
    CommandEntry("train", "vtsim.cli.training_commands", "train",
                 "Run a training session: the fleet publishes live, trainees work in the "
                 "console."),
    CommandEntry("control", "vtsim.cli.training_commands", "control",
                 "Pause, resume, change the speed of, inject a scripted event into or stop a "
                 "session."),
    CommandEntry("record", "vtsim.cli.training_commands", "record",
                 "Record every message on the tenant's topics, with receive times, until "
                 "Ctrl-C."),
    CommandEntry("replay", "vtsim.cli.training_commands", "replay_command",
                 "Publish a recording's messages in order with the recorded timing (times "
                 "speed)."),
    CommandEntry("debrief", "vtsim.cli.training_commands", "debrief",
                 "Per trainee and per incident: times to take and close, outcomes, targets "
                 "met."),
    CommandEntry("compare", "vtsim.cli.benefit_commands", "compare",
                 "Compare home care without and with the technology: saved visits, hours, "
                 "årsverk, NOK."),
    CommandEntry("report", "vtsim.cli.benefit_commands", "report",
                 "Write the benefit report (HTML, spreadsheet or PDF) from a comparison's "
                 "metrics.json."),
    CommandEntry("sweep", "vtsim.cli.sizing_commands", "sweep",
                 "Run a scenario over a grid of field values; table, CSV/Parquet and "
                 "attainment charts."),
    CommandEntry("size", "vtsim.cli.sizing_commands", "size",
                 "Find the fewest operators per shift and field workers per zone meeting "
                 "every target."),
)
BY_NAME: Final = {entry.name: entry for entry in COMMANDS}


def loaded_command(entry: CommandEntry) -> Any:
    """The full command (options, arguments, help) built from its module's function."""
    single = typer.Typer(add_completion=False)
    single.command(entry.name)(entry.function_object())
    return typer.main.get_command(single)


class LazyCommands(TyperGroup):
    """The ``vtsim`` group: lists every command of :data:`COMMANDS` by its summary, and
    imports a command's module only once that command is chosen.

    The group holds a stand-in (name and summary) for each command, which is all that
    ``vtsim --help`` and the suggestions for a mistyped name need; :meth:`resolve_command`
    swaps in the full command when one is run (or its ``--help`` shown).
    """

    def __init__(self, **attrs: Any) -> None:
        """The group with a stand-in for every command not registered directly."""
        super().__init__(**attrs)
        for entry in COMMANDS:
            if entry.name not in self.commands:
                self.add_command(TyperCommand(entry.name, help=entry.summary), entry.name)

    # ctx and the commands are typed Any: their classes are typer's (or click's) own
    def resolve_command(self, ctx: Any, args: list[str]) -> tuple[str | None, Any, list[str]]:
        """The chosen command, loaded from its module when it is one of :data:`COMMANDS`."""
        name, command, rest = super().resolve_command(ctx, args)
        entry = BY_NAME.get(name or "")
        if entry is not None and isinstance(command, TyperCommand) and command.callback is None:
            command = loaded_command(entry)
            self.commands[entry.name] = command
        return name, command, rest


app = typer.Typer(
    cls=LazyCommands,
    add_completion=False,
    no_args_is_help=True,
    help="Simulate a welfare-technology response centre (responssenter) and measure it.",
)


def show_version(value: bool) -> None:
    """Print the version and stop."""
    if value:
        typer.echo(f"vtsim {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=show_version, is_eager=True,
                           help="Show the version and exit.")
    ] = False,
) -> None:
    """vtsim: simulate and measure a welfare-technology response centre."""


def main() -> None:
    """Entry point of the ``vtsim`` console script.

    ``kill -USR1 <pid>`` prints every thread's stack to stderr and the command goes on: a
    long-running command (``centre``, ``emulate``, ``train``) that seems stuck can be looked into
    without stopping it.
    """
    if hasattr(signal, "SIGUSR1"):
        faulthandler.register(signal.SIGUSR1, all_threads=True)
    app()
