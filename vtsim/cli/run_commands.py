"""``vtsim run`` and ``vtsim check``: run a scenario's replications, or only validate it.

The simulation, statistics and event-log libraries (scipy, pyarrow) load inside ``run``, so
that ``vtsim check`` answers quickly.
"""

from __future__ import annotations

import json
import os
import time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from reports.i18n import format_number, text
from reports.output_folder import OutputError, check_folder_target, fresh_folder
from reports.summary import print_warnings
from sim.scenario.loading import staffing_warnings
from sim.scenario.region import is_region_file
from vtsim import __version__
from vtsim.cli.command_support import (
    EXIT_BAD_INPUT,
    LangOption,
    SetOption,
    chosen_lang,
    fail,
    load_noting_or_exit,
    load_or_exit,
    load_region_or_exit,
    parse_overrides,
    replications_option,
    seed_option,
    workers_option,
)

if TYPE_CHECKING:
    from sim.analysis.aggregate import Figure
    from sim.run.runner import ReplicationOutcome
    from sim.scenario.region import Region
    from sim.scenario.schema import Scenario


class LogFormat(StrEnum):
    """Formats of the event log."""

    parquet = "parquet"
    csv = "csv"
    none = "none"


def run(
    scenario_file: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    seed: Annotated[int | None, seed_option()] = None,
    replications: Annotated[
        int | None, replications_option("Replications (default: the scenario's).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default results/<name>); must be new "
                                       "or empty unless --force.")
    ] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace the results already in --out (only files vtsim writes).")
    ] = False,
    workers: Annotated[
        int | None, workers_option("Parallel processes (default: one per core).")
    ] = None,
    log_format: Annotated[LogFormat, typer.Option(help="Event log format.")] = LogFormat.parquet,
    set_: SetOption = None,
    lang: LangOption = None,
    models: Annotated[bool, typer.Option(
        "--models", help="Region files: also compare the four organisation models (own "
                         "centre, shared, direct response by home care, purchased service) "
                         "per member, on the same alarms.")] = False,
) -> None:
    """Run a scenario's replications and write metrics, event log and resolved scenario."""
    from reports.summary import print_summary
    from sim.analysis.aggregate import aggregate

    console = Console()
    language = chosen_lang(lang)
    if is_region_file(scenario_file):
        run_region(console, scenario_file, seed, replications, out, force, workers, log_format,
                   set_ or [], language, models)
        return
    scenario = load_or_exit(console, scenario_file, parse_overrides(set_ or []))
    seed = scenario.seed if seed is None else seed
    count = replications or scenario.replications
    out = out or Path("results") / scenario_file.stem
    output_or_exit(console, out, force)
    keep_records = log_format is not LogFormat.none
    warnings = staffing_warnings(scenario)
    print_warnings(console, warnings, language)
    warn_long_run(console, scenario, count, workers or os.cpu_count() or 1, keep_records,
                  language)
    started = time.perf_counter()
    outcomes = run_with_progress(console, scenario, seed, count, workers, keep_records,
                                 language)
    wall = time.perf_counter() - started
    figures = aggregate([o.metrics for o in outcomes])
    print_summary(console, scenario, figures, warnings, language)
    try:
        write_results(out, scenario, scenario_file, seed, count, figures, warnings, outcomes,
                      log_format, wall)
    except OutputError as exc:
        raise fail(console, str(exc)) from None
    files = (f"{out}/metrics.json, scenario.resolved.yaml"
             + ("" if log_format is LogFormat.none else f", events/*.{log_format.value}"))
    console.print(text(language, "r_wrote", files=files, n=str(count),
                       s=format_number(wall, language, 1)), highlight=False)


def write_results(out: Path, scenario: Scenario, scenario_file: Path, seed: int, count: int,
                  figures: dict[str, Figure], warnings: list[str],
                  outcomes: list[ReplicationOutcome], log_format: LogFormat,
                  wall: float) -> None:
    """Write metrics, resolved scenario, event log and run info into a fresh ``out``."""
    from reports.outputs import (
        metrics_document,
        write_event_log,
        write_metrics,
        write_resolved_scenario,
    )

    with fresh_folder(out) as folder:
        write_metrics(folder / "metrics.json",
                      metrics_document(scenario, scenario_file, seed, __version__, figures,
                                       warnings))
        write_resolved_scenario(folder / "scenario.resolved.yaml", scenario, scenario_file, seed,
                                count, __version__)
        if log_format is not LogFormat.none:
            write_event_log(folder / "events", [o.log for o in outcomes if o.log is not None],
                            "csv" if log_format is LogFormat.csv else "parquet")
        write_run_info(folder / "run.json", scenario_file, seed, count, outcomes, wall)


def output_or_exit(console: Console, out: Path, force: bool) -> None:
    """Exit with code 2 before anything runs if ``out`` cannot take the results."""
    try:
        check_folder_target(out, "--out", force)
    except OutputError as exc:
        raise fail(console, str(exc), EXIT_BAD_INPUT) from None


def warn_long_run(console: Console, scenario: Scenario, count: int, workers: int,
                  keep_records: bool, lang: str) -> None:
    """A warning with the expected memory and time when the horizon is long or the run
    large."""
    from reports.summary import long_run_line
    from sim.analysis.run_cost import estimate, is_long

    cost = estimate(scenario, count, workers, keep_records)
    if is_long(cost):
        print_warnings(console, [long_run_line(cost, lang)], lang)


def run_region(console: Console, region_file: Path, seed: int | None, replications: int | None,
               out: Path | None, force: bool, workers: int | None, log_format: LogFormat,
               set_: list[str], language: str, models: bool = False) -> None:
    """Run a region's replications (members sharing one centre) and write its files; with
    ``models``, also the four organisation models per member on the same alarms."""
    from reports.outputs import metrics_document, write_metrics
    from reports.region_outputs import write_region_event_log, write_resolved_region
    from reports.region_summary import print_region_summary
    from sim.analysis.aggregate import aggregate
    from sim.analysis.cost_sharing import cost_split, region_unit
    from sim.benefit.organisation_npv import organisation_npvs

    region = load_region_or_exit(console, region_file, parse_overrides(set_))
    seed = region.seed if seed is None else seed
    count = replications or region.replications
    out = out or Path("results") / region_file.stem
    output_or_exit(console, out, force)
    warnings = staffing_warnings(region.members[0].shared_view)
    print_warnings(console, warnings, language)
    started = time.perf_counter()
    outcomes = run_with_progress(console, region, seed, count, workers,
                                 log_format is not LogFormat.none, language)
    wall = time.perf_counter() - started
    per_replication = [{**o.metrics, **cost_split(region, o.metrics)} for o in outcomes]
    if models:
        for metrics, extra in zip(per_replication,
                                  compare_models(console, region, seed, outcomes, workers,
                                                 language),
                                  strict=True):
            metrics.update(extra)
            metrics.update(organisation_npvs(region, extra))
    figures = aggregate(per_replication, unit=region_unit)
    print_region_summary(console, region, figures, warnings, language)
    if models:
        from reports.region_summary import organisation_table
        from sim.analysis.organisation import answer_key

        for name in [m.name for m in region.members] + ["region"]:
            console.print(organisation_table(region, figures, answer_key(region), name,
                                             language))
    try:
        with fresh_folder(out) as folder:
            write_metrics(folder / "metrics.json",
                          metrics_document(region, region_file, seed, __version__, figures,
                                           warnings))
            write_resolved_region(folder, region, region_file, seed, count, __version__)
            if log_format is not LogFormat.none:
                write_region_event_log(
                    folder / "events",
                    [o.region_log for o in outcomes if o.region_log is not None],
                    "csv" if log_format is LogFormat.csv else "parquet")
            write_run_info(folder / "run.json", region_file, seed, count, outcomes, wall)
    except OutputError as exc:
        raise fail(console, str(exc)) from None
    console.print(text(language, "g_wrote", out=str(out), n=str(count),
                       s=format_number(wall, language, 1),
                       log="" if log_format is LogFormat.none
                       else f", events/*.{log_format.value}"), highlight=False)


def compare_models(console: Console, region: Region, seed: int,
                   outcomes: list[ReplicationOutcome], workers: int | None,
                   lang: str = "en") -> list[dict[str, float]]:
    """Every replication's organisation-model figures, in replication order (behind a
    progress bar, on the worker processes)."""
    from concurrent.futures import ProcessPoolExecutor

    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from sim.analysis.organisation import organisation_replication
    from sim.run.runner import default_workers

    count = workers or default_workers(len(outcomes))
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console) as progress, \
            ProcessPoolExecutor(max_workers=count) as pool:
        task = progress.add_task(text(lang, "g_models_bar"), total=len(outcomes))
        futures = [pool.submit(organisation_replication, region, seed, o.index, o.metrics)
                   for o in outcomes]
        results = []
        for future in futures:
            results.append(future.result())
            progress.advance(task)
    return results


def run_with_progress(console: Console, scenario: Scenario | Region, seed: int, count: int,
                      workers: int | None, keep_records: bool,
                      lang: str) -> list[ReplicationOutcome]:
    """Run the replications behind a progress bar of simulated days and time left."""
    from reports.progress import run_progress
    from sim.run.runner import default_workers, run_replications

    with run_progress(console, scenario.name, scenario.horizon, count, lang) as bar:
        return run_replications(
            scenario, seed, count, workers or default_workers(count), keep_records,
            on_done=lambda outcome: bar.finish(outcome.index), on_progress=bar.advance,
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


def check(
    scenario_file: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    set_: SetOption = None,
    lang: LangOption = None,
) -> None:
    """Validate a scenario file: every problem with its field path, staffing warnings, and the
    benefit baseline against the municipality's home-care totals."""
    from vtsim.cli.benefit_checks import check_baseline_or_exit

    console = Console()
    language = chosen_lang(lang)
    if is_region_file(scenario_file):
        region = load_region_or_exit(console, scenario_file, parse_overrides(set_ or []))
        print_warnings(console, staffing_warnings(region.members[0].shared_view), language)
        for member in region.members:
            check_baseline_or_exit(console, member.scenario, member.file)
        console.print(text(language, "g_check_ok", file=str(scenario_file), name=region.name,
                           n=str(len(region.members)),
                           members=", ".join(m.name for m in region.members)), highlight=False)
        return
    scenario, notes = load_noting_or_exit(console, scenario_file, parse_overrides(set_ or []),
                                          language)
    for note in notes:
        console.print(f"{text(language, 'chk_note')}: {note}", markup=False, highlight=False,
                      soft_wrap=True)
    print_warnings(console, staffing_warnings(scenario), language)
    warn_long_run(console, scenario, scenario.replications, os.cpu_count() or 1, True,
                  language)
    check_baseline_or_exit(console, scenario, str(scenario_file), language)
    console.print(text(language, "r_check_ok", file=str(scenario_file), name=scenario.name),
                  highlight=False)
