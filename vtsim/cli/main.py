"""The ``vtsim`` command line."""

from __future__ import annotations

import faulthandler
import json
import signal
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from reports.outputs import (
    metrics_document,
    write_event_log,
    write_metrics,
    write_resolved_scenario,
)
from reports.summary import print_summary, print_warnings
from sim.analysis.aggregate import aggregate
from sim.run.runner import ReplicationOutcome, default_workers, run_replications
from sim.scenario.loading import staffing_warnings
from sim.scenario.schema import Scenario
from vtsim import __version__
from vtsim.cli import (
    benefit_commands,
    contract_commands,
    emulate_commands,
    mqtt_commands,
    sizing_commands,
    training_commands,
)
from vtsim.cli.command_support import SetOption, load_or_exit, parse_overrides

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Simulate a welfare-technology response centre (responssenter) and measure it.",
)


class LogFormat(StrEnum):
    """Formats of the event log."""

    parquet = "parquet"
    csv = "csv"
    none = "none"


@app.command()
def run(
    scenario_file: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    seed: Annotated[int | None, typer.Option(help="Master seed (default: the scenario's).")] = None,
    replications: Annotated[
        int | None, typer.Option(min=1, help="Replications (default: the scenario's).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default results/<name>).")
    ] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Parallel processes (default: one per core).")
    ] = None,
    log_format: Annotated[LogFormat, typer.Option(help="Event log format.")] = LogFormat.parquet,
    set_: SetOption = None,
) -> None:
    """Run a scenario's replications and write metrics, event log and resolved scenario."""
    console = Console()
    scenario = load_or_exit(console, scenario_file, parse_overrides(set_ or []))
    seed = scenario.seed if seed is None else seed
    count = replications or scenario.replications
    out = out or Path("results") / scenario_file.stem
    warnings = staffing_warnings(scenario)
    print_warnings(console, warnings)
    started = time.perf_counter()
    outcomes = run_with_progress(console, scenario, seed, count, workers,
                                 keep_records=log_format is not LogFormat.none)
    wall = time.perf_counter() - started
    figures = aggregate([o.metrics for o in outcomes])
    print_summary(console, scenario, figures, warnings)
    out.mkdir(parents=True, exist_ok=True)
    write_metrics(out / "metrics.json",
                  metrics_document(scenario, scenario_file, seed, __version__, figures, warnings))
    write_resolved_scenario(out / "scenario.resolved.yaml", scenario, scenario_file, seed, count,
                            __version__)
    if log_format is not LogFormat.none:
        write_event_log(out / "events", [o.log for o in outcomes if o.log is not None],
                        "csv" if log_format is LogFormat.csv else "parquet")
    write_run_info(out / "run.json", scenario_file, seed, count, outcomes, wall)
    console.print(f"Wrote {out}/metrics.json, scenario.resolved.yaml"
                  + ("" if log_format is LogFormat.none else f", events/*.{log_format.value}")
                  + f" ({count} replications in {wall:.1f} s).")


def run_with_progress(console: Console, scenario: Scenario, seed: int, count: int,
                      workers: int | None, keep_records: bool) -> list[ReplicationOutcome]:
    """Run the replications behind a progress bar."""
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(f"{scenario.name}: replications", total=count)
        return run_replications(
            scenario, seed, count, workers or default_workers(count), keep_records,
            on_done=lambda _outcome: progress.advance(task),
        )


def write_run_info(path: Path, source: Path, seed: int, count: int,
                   outcomes: list[ReplicationOutcome], wall: float) -> None:
    """Facts about this run that vary between runs (wall times), kept out of metrics.json."""
    info = {
        "vtsim_version": __version__,
        "scenario_file": str(source),
        "seed": seed,
        "replications": count,
        "wall_s": round(wall, 3),
        "replication_wall_s": [round(o.wall_s, 3) for o in outcomes],
    }
    path.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")


@app.command()
def check(
    scenario_file: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    set_: SetOption = None,
) -> None:
    """Validate a scenario file: every problem with its field path, staffing warnings, and the
    benefit baseline against the municipality's home-care totals."""
    console = Console()
    scenario = load_or_exit(console, scenario_file, parse_overrides(set_ or []))
    print_warnings(console, staffing_warnings(scenario))
    benefit_commands.check_baseline_or_exit(console, scenario, str(scenario_file))
    console.print(f"{scenario_file}: OK ({scenario.name})")


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


app.command("broker")(mqtt_commands.broker)
app.command("centre")(mqtt_commands.centre)
app.command("schema")(contract_commands.schema)
app.command("validate")(contract_commands.validate)
app.command("emulate")(emulate_commands.emulate)
app.command("conformance")(emulate_commands.conformance)
app.command("train")(training_commands.train)
app.command("control")(training_commands.control)
app.command("record")(training_commands.record)
app.command("replay")(training_commands.replay_command)
app.command("debrief")(training_commands.debrief)
app.command("compare")(benefit_commands.compare)
app.command("report")(benefit_commands.report)
app.command("sweep")(sizing_commands.sweep)
app.command("size")(sizing_commands.size)


def main() -> None:
    """Entry point of the ``vtsim`` console script.

    ``kill -USR1 <pid>`` prints every thread's stack to stderr and the command goes on: a
    long-running command (``centre``, ``emulate``, ``train``) that seems stuck can be looked into
    without stopping it.
    """
    if hasattr(signal, "SIGUSR1"):
        faulthandler.register(signal.SIGUSR1, all_threads=True)
    app()
