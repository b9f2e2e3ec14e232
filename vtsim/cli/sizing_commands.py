"""The ``vtsim sweep`` and ``vtsim size`` commands: grids of scenario variants, and staffing
that meets the service targets, with progress bars and tables in the terminal."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from reports.i18n import TEXT, format_number, format_seconds, format_share, reason_text, text
from reports.output_folder import OutputError, check_folder_target, clear_folder
from reports.summary import target_text
from reports.sweep.charts import attainment_chart
from reports.sweep.sizing_files import (
    OutputExists,
    StaffTerms,
    check_writable,
    sizing_document,
    write_sizing,
)
from reports.sweep.tables import (
    PointSummary,
    attainment_keys,
    summarise,
    table_rows,
    write_tables,
)
from sim.analysis.sizing import YearSizing, growth_of, size_year
from sim.analysis.sweep import Finished, SweepError, SweepInterrupted, grid, parse_axis
from sim.analysis.sweep_plan import SweepPlan, execute, load_points
from sim.analysis.sweep_store import MANIFEST, SweepStore
from sim.analysis.targets import Target, TargetError, parse_target
from sim.errors import ScenarioError, VtsimError
from sim.run.backends import Backend, BackendError, dask_backend, local_backend
from sim.scenario.benefit import Benefit
from sim.scenario.durations import parse_duration
from sim.scenario.loading import load_scenario
from sim.scenario.region import is_region_file
from sim.scenario.schema import Scenario
from vtsim import __version__
from vtsim.cli.command_support import (
    EXIT_BAD_INPUT,
    LangOption,
    bounded_option,
    chosen_lang,
    fail,
    fail_scenario,
    replications_option,
    seed_option,
    workers_option,
)

EXIT_INTERRUPTED = 130
DaskOption = Annotated[
    str | None,
    typer.Option("--dask", metavar="ADDRESS|local",
                 help="Run on a Dask cluster: scheduler address (tcp://host:8786) or 'local'."),
]
WorkersOption = Annotated[
    int | None, workers_option("Local processes, or workers of --dask local (default: one per "
                               "core).")
]


def fail_input(console: Console, message: str) -> typer.Exit:
    """Print an input error; the exit (code 2) to raise."""
    return fail(console, message, EXIT_BAD_INPUT)


@contextmanager
def chosen_backend(dask: str | None, workers: int | None) -> Iterator[Backend]:
    """Local processes, or Dask if ``--dask`` was given."""
    if dask:
        with dask_backend(dask, workers) as backend:
            yield backend
    else:
        with local_backend(workers) as backend:
            yield backend


@contextmanager
def progress_bar(console: Console, title: str,
                 total: int | None) -> Iterator[Callable[[Finished], None]]:
    """A progress bar with elapsed time and ETA; yields the callback that advances it."""
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task(title, total=total)
        yield lambda _result: progress.advance(task)


def sweep(
    scenario_file: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    set_: Annotated[list[str], typer.Option(
        "--set", help="Swept field: PATH=VALUES with a range 1..4, a list 800,1200,1600 or one "
                      "value (repeatable; the grid is every combination).")],
    seed: Annotated[int | None, seed_option()] = None,
    replications: Annotated[int | None, replications_option(
        "Replications per point (default: the scenario's).", low=2)] = None,
    out: Annotated[Path | None, typer.Option(
        help="Results folder (default results/<name>-sweep); must be new or empty unless "
             "--resume or --force.")] = None,
    workers: WorkersOption = None,
    dask: DaskOption = None,
    resume: Annotated[bool, typer.Option(
        "--resume", help="Continue an interrupted sweep in --out.")] = False,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace the results already in --out (only files vtsim writes).")
    ] = False,
    lang: LangOption = None,
) -> None:
    """Run a scenario over a grid of field values; table, CSV/Parquet and attainment charts."""
    console = Console()
    if is_region_file(scenario_file):
        raise fail_input(console, f"{scenario_file} is a region file; vtsim sweep takes one "
                                  "municipality's scenario (for a region: vtsim run --set, or "
                                  "vtsim size)")
    out = out or Path("results") / f"{scenario_file.stem}-sweep"
    try:
        if resume and force:
            raise SweepError("give --resume (continue the sweep in --out) or --force (replace "
                             "it), not both")
        check_folder_target(out, "--out", force, allow_existing=resume,
                            resumable=MANIFEST)
        base = load_scenario(scenario_file)
        points = grid([parse_axis(item) for item in set_])
        plan = SweepPlan(scenario_file, tuple(points), base.seed if seed is None else seed,
                         replications or base.replications)
        scenarios = load_points(plan)
    except ScenarioError as exc:
        raise fail_scenario(console, exc) from None
    except (SweepError, OutputError) as exc:
        raise fail_input(console, str(exc)) from None
    if force:
        clear_folder(out)
    language = chosen_lang(lang)
    console.print(text(language, "sw_points", points=str(len(points)),
                       n=str(plan.replications), seed=str(plan.seed)), highlight=False)
    finished = run_plan(console, plan, scenarios, out, dask, workers, resume, language)
    summaries = summarise(plan.points, finished)
    console.print(sweep_table(summaries, language))
    console.print(plus_minus_sweep(plan, language), highlight=False)
    written = write_tables(table_rows(summaries), out) + attainment_chart(summaries, out)
    console.print(text(language, "sw_wrote", files=", ".join(str(p) for p in written),
                       jsonl=f"{out}/replications.jsonl"), highlight=False)


def plus_minus_sweep(plan: SweepPlan, lang: str) -> str:
    """What "±" and "≤" mean in the sweep table, and over how many replications."""
    return text(lang, "sw_plusminus", n=str(plan.replications))


def run_plan(console: Console, plan: SweepPlan, scenarios: list[Scenario], out: Path,
             dask: str | None, workers: int | None, resume: bool,
             lang: str = "en") -> list[Finished]:
    """Run the sweep behind a progress bar; on Ctrl-C say what was kept and exit 130."""
    store = SweepStore(out)
    try:
        with chosen_backend(dask, workers) as backend:
            console.print(text(lang, "sw_running", backend=backend.name), highlight=False)
            done_before = len(store.read_finished()) if resume else 0
            with progress_bar(console, text(lang, "sw_bar"), plan.tasks) as advance:
                for _ in range(done_before):
                    advance(Finished(0, 0, {}, 0.0))
                return execute(plan, scenarios, backend, store, resume, on_done=advance)
    except SweepInterrupted as exc:
        kept = len(store.read_finished())
        console.print(f"Interrupted: {kept} of {plan.tasks} replications are kept in "
                      f"{store.results_path}; run the same command with --resume to finish.")
        raise typer.Exit(EXIT_INTERRUPTED) from exc
    except (SweepError, BackendError) as exc:
        raise fail_input(console, str(exc)) from None


def sweep_table(summaries: list[PointSummary], lang: str = "en") -> Table:
    """One row per point and target: the settings, the share within the target and the key
    figures, with 95 % intervals. Targets are rows, not columns, so that the table stays
    readable at 80 columns however many targets the scenario has."""
    table = Table(title=text(lang, "sw_title"), title_justify="left", header_style="bold")
    keys = attainment_keys(summaries)
    table.add_column(text(lang, "sw_point"), overflow="fold")
    for heading, justify in ((text(lang, "sw_target"), "left"),
                             (text(lang, "sw_share"), "right"),
                             (text(lang, "sw_answer_mean"), "right"),
                             (text(lang, "sw_busy"), "right")):
        table.add_column(heading, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    for s in summaries:
        point = "\n".join(f"{'.'.join(path.split('.')[-2:])} = {value}"
                          for path, value in s.point.settings)
        first = [point]
        figures = [number_cell(s, "answer.mean_s", 1.0, "s", lang),
                   number_cell(s, "operators.utilisation.all", 100.0, "%", lang)]
        for i, key in enumerate(keys or [""]):
            share = share_cell(s, key, lang) + " %" if key else "–"
            table.add_row(*(first if i == 0 else [""]), target_label(key, lang), share,
                          *(figures if i == 0 else ["", ""]),
                          end_section=i == max(0, len(keys) - 1))
    return table


def target_label(key: str, lang: str) -> str:
    """``svar ≤ 20 s`` from ``answer.within_20s``."""
    kind, _, within = key.partition(".within_")
    if not within:
        return key
    try:
        seconds = format_seconds(parse_duration(within), lang)
    except ValueError:
        seconds = within
    names = {"answer": ("svar", "answer"), "visits": ("besøk", "visit")}.get(kind, (kind, kind))
    return f"{names[0] if lang == 'nb' else names[1]} ≤ {seconds}"


def share_cell(summary: PointSummary, key: str, lang: str = "en") -> str:
    """``mean ± half-width`` in per cent."""
    f = summary.figures.get(key)
    if f is None or math.isnan(f.mean):
        return "–"
    if math.isnan(f.ci_half_width):
        return format_number(100 * f.mean, lang, 1)
    return (f"{format_number(100 * f.mean, lang, 1)} ± "
            f"{format_number(100 * f.ci_half_width, lang, 1)}")


def number_cell(summary: PointSummary, key: str, scale: float, unit: str,
                lang: str = "en") -> str:
    """``mean ± half-width unit``."""
    f = summary.figures.get(key)
    if f is None or math.isnan(f.mean):
        return "–"
    half = ("" if math.isnan(f.ci_half_width)
            else f" ± {format_number(scale * f.ci_half_width, lang, 1)}")
    return f"{format_number(scale * f.mean, lang, 1)}{half} {unit}"


def parse_years(text: str | None) -> list[int | None]:
    """``2026-2030`` or ``2026`` or ``2026,2028``; no text: the scenario as it is."""
    if not text:
        return [None]
    try:
        if "-" in text:
            first, last = (int(part) for part in text.split("-", 1))
            if last < first:
                raise ValueError
            return list(range(first, last + 1))
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise TargetError(f"cannot read the years {text!r}; write 2026-2030, 2026 or "
                          "2026,2028") from None


def size(
    scenario_file: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    target: Annotated[list[str], typer.Option(
        "--target", help='Service target, e.g. "answer 98.5% within 60s" or '
                         '"visit 90% within 45min" (repeatable).')],
    years: Annotated[str | None, typer.Option(
        help="Years to size for, e.g. 2026-2030; user counts grow with the scenario's growth "
             "(6.5 %/yr if it has none).")] = None,
    seed: Annotated[int | None, seed_option()] = None,
    replications: Annotated[int | None, replications_option(
        "Replications per staffing tried (default: the scenario's).", low=2)] = None,
    confidence: Annotated[float, bounded_option(
        "--confidence", 0.5, 0.999,
        "Confidence of the lower bound that must reach each target.")] = 0.95,
    workers: WorkersOption = None,
    dask: DaskOption = None,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="Override a scenario field first: PATH=VALUE (repeatable).")] = None,
    out: Annotated[Path | None, typer.Option(
        help="Also write sizing.json and sizing.csv into this folder.")] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Overwrite sizing.json and sizing.csv already in --out.")] = False,
    rota_factor: Annotated[float | None, bounded_option(
        "--rota-factor", 1.0, 3.0, "Paid hours per hour on duty, for årsverk in --out (default: "
                                   "the scenario's benefit.costs.rota_factor).")] = None,
    lang: LangOption = None,
) -> None:
    """Find the fewest operators per shift and field workers per zone meeting every target."""
    console = Console()
    if is_region_file(scenario_file):
        if years or dask:
            raise fail_input(console, "a region is sized as given, on local processes "
                                      "(--years and --dask are for one municipality's scenario)")
        size_region(console, scenario_file, target, seed, replications, confidence, workers,
                    set_ or [], out, force, chosen_lang(lang))
        return
    try:
        targets = [parse_target(t) for t in target]
        plan_years = parse_years(years)
        base = parse_settings(set_ or [])
        scenario = load_scenario(scenario_file, base)
        if out is not None:
            check_folder_target(out, "--out", allow_existing=True)
            check_writable(out, force)
    except (TargetError, SweepError, OutputExists, OutputError) as exc:
        raise fail_input(console, str(exc)) from None
    except ScenarioError as exc:
        raise fail_scenario(console, exc) from None
    seed = scenario.seed if seed is None else seed
    count = replications or scenario.replications
    language = chosen_lang(lang)
    describe_sizing(console, scenario_file, targets, plan_years, scenario, confidence, count,
                    language)
    results = []
    try:
        with chosen_backend(dask, workers) as backend:
            for year in plan_years:
                title = text(language, "sz_bar", year=str(year or text(language, "sz_as_given")))
                with progress_bar(console, title, None) as advance:
                    result = size_year(scenario_file, base, year, targets, seed, count,
                                       backend, confidence, on_done=advance)
                console.print(sizing_table(result, confidence, language))
                print_sizing_reasons(console, result, language)
                results.append(result)
    except VtsimError as exc:
        raise fail_input(console, str(exc)) from None
    if out is not None:
        document = sizing_document(results, scenario_file, targets, seed, count, confidence,
                                   staff_terms(scenario, rota_factor), __version__)
        written = write_sizing(out, document)
        console.print(text(language, "r_wrote_files", files=", ".join(str(p) for p in written)),
                      highlight=False)


def size_region(console: Console, region_file: Path, target: list[str], seed: int | None,
                replications: int | None, confidence: float, workers: int | None,
                set_: list[str], out: Path | None = None, force: bool = False,
                lang: str = "en") -> None:
    """Size a shared centre: the fewest operators per shift with every member meeting every
    answer target; which member binds each shift."""
    from reports.region_summary import (
        format_share_value,
        region_attainment_table,
        region_sizing_table,
        sizing_cost_line,
    )
    from sim.analysis.region_sizing import RegionSizer, erlang_start, members_alone
    from sim.scenario.region import load_region

    try:
        targets = [parse_target(t) for t in target]
        region = load_region(region_file, parse_settings(set_))
        if out is not None and (out / "region-sizing.json").exists() and not force:
            raise TargetError(f"{out / 'region-sizing.json'} already exists; choose another "
                              "--out folder or add --force to overwrite")
    except TargetError as exc:
        raise fail_input(console, str(exc)) from None
    except ScenarioError as exc:
        raise fail_scenario(console, exc) from None
    if any(t.kind != "answer" for t in targets):
        raise fail_input(console, "a shared centre is sized on answer targets only; each "
                                  "member's visits are its own home care's (size a member's "
                                  "field staff with vtsim size on its scenario file)")
    seed = region.seed if seed is None else seed
    most = replications or 40
    start = erlang_start(region, targets)
    console.print(text(lang, "g_sizing_intro", name=region.name, n=str(len(region.members)),
                       targets=", ".join(target_text(t, lang) for t in targets),
                       start=", ".join(f"{TEXT[lang].get(f'shift_{k}', k)} {v}"
                                       for k, v in start.items()),
                       days=format_number(region.horizon / 86400, lang, 0), most=str(most),
                       c=format_share_value(confidence, lang)), highlight=False)
    with local_backend(workers) as backend:
        sizer = RegionSizer(region, targets, seed, backend.executor, backend.slots, confidence,
                            most_replications=most,
                            on_progress=lambda text: console.print(f"  {text}", highlight=False))
        result = sizer.search()
    console.print(region_sizing_table(result, lang))
    console.print(region_attainment_table(result, lang))
    alone = members_alone(region, targets)

    def slashed(values: Iterable[int]) -> str:
        return "/".join(str(v) for v in values)

    console.print(text(lang, "g_alone",
                       alone="; ".join(f"{m} {slashed(s.values())}" for m, s in alone.items()),
                       together=slashed(sum(s[k] for s in alone.values())
                                        for k in result.staffing),
                       erlang=slashed(result.erlang.values()),
                       chosen=slashed(result.staffing.values())), highlight=False)
    console.print(sizing_cost_line(result, lang), highlight=False)
    if out is not None:
        from reports.region_summary import region_sizing_document

        out.mkdir(parents=True, exist_ok=True)
        path = out / "region-sizing.json"
        path.write_text(json.dumps(region_sizing_document(result, alone, seed, __version__),
                                   indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        console.print(text(lang, "g_wrote_sizing", path=str(path)), highlight=False)


def staff_terms(scenario: Scenario, rota_factor: float | None) -> StaffTerms:
    """Hours per årsverk and the rota factor: the scenario's benefit section (or its
    defaults), the rota factor from the command line if given."""
    benefit = scenario.benefit or Benefit()
    if rota_factor is not None:
        return StaffTerms(benefit.hours_per_arsverk, rota_factor, "--rota-factor")
    source = ("the scenario's benefit.costs.rota_factor" if scenario.benefit is not None
              else "default of benefit.costs.rota_factor")
    return StaffTerms(benefit.hours_per_arsverk, benefit.costs.rota_factor, source)


def parse_settings(items: list[str]) -> dict[str, object]:
    """``PATH=VALUE`` pairs (values read as YAML), as ``vtsim run --set`` reads them."""
    settings: dict[str, object] = {}
    for item in items:
        path, sep, value = item.partition("=")
        if not sep or not path.strip():
            raise SweepError(f"expected PATH=VALUE in --set, got {item!r}")
        settings[path.strip()] = yaml.safe_load(value)
    return settings


def describe_sizing(console: Console, source: Path, targets: list[Target],
                    years: list[int | None], scenario: Scenario, confidence: float,
                    replications: int, lang: str = "en") -> None:
    """What is being sized, on what terms."""
    c = format_share(confidence, lang, 0)
    console.print(text(lang, "sz_intro", name=scenario.name, file=str(source),
                       targets="; ".join(target_text(t, lang) for t in targets)),
                  highlight=False)
    console.print(text(lang, "sz_rule", c=c, n=str(replications)), highlight=False)
    console.print(text(lang, "sz_two"), highlight=False)
    if years != [None]:
        rate, source_text = growth_of(scenario)
        console.print(text(lang, "sz_growth", rate=format_share(rate, lang, 1),
                           source=source_text), highlight=False)


def sizing_table(result: YearSizing, confidence: float, lang: str = "en") -> Table:
    """Analytic estimate and simulated staffing side by side; why they differ is in
    :func:`sizing_reasons`, below the table, so that the table fits in 80 columns."""
    table = Table(title=text(lang, "sz_title", year=str(result.year or text(lang, "sz_as_given")),
                             users=format_number(result.users, lang, 0),
                             incidents=format_number(result.incidents_per_day, lang, 0),
                             points=str(result.points_run)),
                  title_justify="left", header_style="bold")
    names = ("sz_dimension", "Erlang C", "sz_simulated", "sz_attainment")
    for name in names:
        heading = name if name == "Erlang C" else text(lang, name,
                                                       c=format_share(confidence, lang, 0))
        table.add_column(heading, justify="left" if name == "sz_dimension" else "right")
    for dim in result.dimensions:
        chosen = str(result.staffing[dim.name])
        if dim.name in result.unreachable:
            chosen = f"[red]{chosen} ({text(lang, 'sz_not_met')})[/]"
        analytic = "–" if dim.analytic is None else str(dim.analytic)
        shares = "\n".join(
            f"{target_kind(j.target, lang)} {format_seconds(j.target.within_s, lang)}: "
            + (text(lang, "sz_no_events") if j.n == 0 else
               f"{format_number(100 * j.mean, lang, 1)}\u00a0%\n"
               f"≥\u00a0{format_number(100 * j.low, lang, 1)}\u00a0%")
            for j in result.judgements_of(dim.name))
        table.add_row(dimension_label(dim.name, dim.kind, lang), analytic, chosen, shares)
    return table


def dimension_label(name: str, kind: str, lang: str) -> str:
    """``dag (operatører)``, ``sentrum (hjemmetjeneste)``."""
    who = text(lang, "sz_operators" if kind == "shift" else "sz_field")
    return f"{TEXT[lang].get('shift_' + name, name)} ({who})"


def print_sizing_reasons(console: Console, result: YearSizing, lang: str = "en") -> None:
    """Why the simulated staffing differs from Erlang C, one line per shift or zone."""
    if not result.reasons:
        return
    console.print(f"{text(lang, 'sz_why')}:", highlight=False)
    for dim in result.dimensions:
        reason = result.reasons.get(dim.name)
        if reason:
            console.print(f"  {dimension_label(dim.name, dim.kind, lang)}: "
                          f"{reason_text(reason, lang)}", markup=False, highlight=False)


def target_kind(target: Target, lang: str) -> str:
    """``svar``/``besøk`` or ``answer``/``visit``."""
    if lang != "nb":
        return target.kind
    return "svar" if target.kind == "answer" else "besøk"
