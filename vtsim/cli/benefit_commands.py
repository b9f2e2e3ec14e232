"""``vtsim compare`` and ``vtsim report``: benefit realisation (*gevinstrealisering*)."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from reports.benefit.follow_up import follow_up as follow_up_section
from reports.benefit.html import render_html
from reports.benefit.measured import MeasuredError, read_measured
from reports.benefit.outputs import benefit_document, write_replications_csv
from reports.benefit.pdf import write_pdf
from reports.benefit.xlsx import write_xlsx
from reports.i18n import TEXT, format_nok, format_number, format_share, text
from reports.output_folder import OutputError, check_file_target, check_folder_target
from reports.outputs import file_digest, write_metrics, write_resolved_scenario
from reports.summary import print_warnings, target_text
from sim.analysis.global_sensitivity import check_base_size
from sim.analysis.sizing import size_year
from sim.analysis.targets import TargetError, parse_target
from sim.benefit.calibration import (
    simulated_findings,
)
from sim.benefit.comparison import Comparison, parse_years, run_comparison
from sim.benefit.gains import BenefitError, require_benefit
from sim.benefit.psa import DEFAULT_BASE_SIZE
from sim.benefit.staffing import Staffing, StaffingCache, answer_target, choose_staffing
from sim.errors import Problem, ScenarioError
from sim.run.backends import local_backend
from sim.scenario.schema import Scenario
from vtsim import __version__
from vtsim.cli.command_support import (
    EXIT_BAD_INPUT,
    Lang,
    LangOption,
    SetOption,
    bounded_option,
    chosen_lang,
    fail,
    fail_scenario,
    load_or_exit,
    parse_overrides,
    print_words,
    replications_option,
    seed_option,
    workers_option,
)

FOLLOW_UP_FILE = "follow-up.json"
STAFFING_CACHE = "staffing-cache.json"


class Format(StrEnum):
    """Report formats."""

    html = "html"
    xlsx = "xlsx"
    pdf = "pdf"


def compare(
    scenario_file: Annotated[Path, typer.Argument(help="Scenario YAML file with `benefit`.")],
    replications: Annotated[
        int | None, replications_option("Replications (default: the scenario's).")
    ] = None,
    out: Annotated[Path | None, typer.Option(
        help="Output folder (default results/<name>-gain); its files are replaced, its "
             "staffing cache reused.")] = None,
    years: Annotated[str | None, typer.Option(help="Plan years, e.g. 2026-2030.")] = None,
    seed: Annotated[int | None, seed_option()] = None,
    workers: Annotated[
        int | None, workers_option("Parallel processes (default: one per core).")
    ] = None,
    set_: SetOption = None,
    psa_samples: Annotated[int, bounded_option(
        "--psa-samples", 0, None,
        "Base sample size of the probabilistic sensitivity analysis (a power of two; "
             "N x (assumptions + 2) draws); 0 for none.")] = DEFAULT_BASE_SIZE,
    target: Annotated[str | None, typer.Option(
        help='Answer target the centre must meet in every year, e.g. "answer 98.5% within '
             '60s" (default: the scenario\'s benefit.economics.target).')] = None,
    staffing: Annotated[list[str] | None, typer.Option(
        "--staffing", help="Operators per shift: day=4,evening=3,night=3 for every year, "
                           "2027:day=5,evening=3,night=3 for one (repeatable), the "
                           "sizing.json of `vtsim size --out`, or `scenario` for the shifts "
                           "as written. Default: benefit.economics.staffing, else the sizing "
                           "search (slow; cached in OUT/staffing-cache.json)."
    )] = None,
    lang: LangOption = None,
) -> None:
    """Compare home care without and with the technology: saved visits, hours, årsverk, NOK."""

    console = Console()
    language = chosen_lang(lang)
    if psa_samples:
        try:
            check_base_size(psa_samples)
        except ValueError as exc:
            raise fail(console, f"--psa-samples: {exc}; 0 leaves the analysis out",
                       EXIT_BAD_INPUT) from None
    overrides = parse_overrides(set_ or [])
    if target is not None:
        overrides["benefit.economics.target"] = checked_target(console, target)
    scenario = load_or_exit(console, scenario_file, overrides)
    seed = scenario.seed if seed is None else seed
    count = replications or scenario.replications
    out = out or Path("results") / f"{scenario_file.stem}-gain"
    output_or_exit(console, lambda: check_folder_target(out, "--out", allow_existing=True))
    started = time.perf_counter()
    chosen = staffing_or_exit(console, scenario, scenario_file, overrides, years, staffing or [],
                              StaffingSearch(seed, count, workers, lang=language), out)
    comparison = compare_or_exit(console, scenario, str(scenario_file), seed, count, years,
                                 workers, psa_samples, chosen, language)
    wall = time.perf_counter() - started
    out.mkdir(parents=True, exist_ok=True)
    document = benefit_document(comparison, scenario, scenario_file, seed, __version__)
    write_metrics(out / "metrics.json", document)
    write_replications_csv(out / "data" / "replications.csv", comparison)
    write_resolved_scenario(out / "scenario.resolved.yaml", scenario, scenario_file, seed, count,
                            __version__)
    write_compare_info(out / "run.json", scenario_file, seed, count, comparison.years, wall)
    print_staffing(console, document, language)
    print_gains(console, document, language)
    if "psa" in document:
        print_psa(console, document["psa"], language)
    else:
        print_no_psa(console, scenario, psa_samples, language)
    console.print(text(language, "cmp_wrote", out=str(out), n=str(count),
                       years=str(len(comparison.years)), s=format_number(wall, language, 1)),
                  highlight=False)
    judge_simulated_baseline(console, comparison, document, str(scenario_file), language)


def output_or_exit(console: Console, check: Callable[[], None]) -> None:
    """Run an output check; a location that cannot be written is an error (exit code 2)."""
    try:
        check()
    except OutputError as exc:
        raise fail(console, str(exc), EXIT_BAD_INPUT) from None


def judge_simulated_baseline(console: Console, comparison: Comparison, document: dict[str, Any],
                             file: str, lang: str = "en") -> None:
    """The share of the home service each year's simulated baseline accounts for; warnings, or
    exit code 2 when it needs more than the whole service."""
    problems: list[Problem] = []
    warnings: list[str] = []
    for year in comparison.years:
        figures = document["metrics"][str(year)]
        means = {key: f["mean"] for key, f in figures.items()}
        found, warned = simulated_findings(comparison.scenarios[year], means, file)
        problems += found
        warnings += warned
        share = means.get("home_service.share.hours")
        if share is not None and not math.isnan(share):
            print_words(console, text(
                lang, "cmp_modelled", year=str(year),
                users=format_number(means["home_service.modelled_users"], lang, 0),
                recipients=format_number(means["home_service.recipients"], lang, 0),
                share=format_share(share, lang)))
    print_warnings(console, list(dict.fromkeys(warnings)))
    if problems:
        console.print(text(lang, "cmp_not_plausible"))
        raise fail_scenario(console, BenefitError(problems))


def checked_target(console: Console, text: str) -> str:
    """An answer target from ``--target``, or an error saying how to write one."""
    try:
        parsed = parse_target(text)
    except TargetError as exc:
        raise fail(console, f"--target: {exc}", EXIT_BAD_INPUT) from None
    if parsed.kind != "answer":
        raise fail(console, "--target: the staffing follows an answer target, e.g. "
                            '"answer 98.5% within 60s"', EXIT_BAD_INPUT)
    return parsed.describe()


@dataclass(frozen=True, slots=True)
class StaffingSearch:
    """How the sizing search runs when a year's staffing is neither given nor recorded."""

    seed: int
    replications: int
    workers: int | None
    confidence: float = 0.95
    lang: str = "en"


def staffing_or_exit(console: Console, scenario: Scenario, file: Path,
                     overrides: dict[str, Any], years: str | None, specs: list[str],
                     how: StaffingSearch, out: Path) -> dict[int, Staffing]:
    """Each year's operators per shift (given, recorded, cached or searched)."""
    target = answer_target(scenario)
    replications = max(2, how.replications)
    identity = {"scenario_sha256": file_digest(file), "overrides": repr(sorted(
        overrides.items())), "target": target.describe(), "seed": how.seed,
        "replications": replications, "confidence": how.confidence}
    cache = StaffingCache(out / STAFFING_CACHE, identity)

    def search(year: int) -> dict[str, int]:
        console.print(text(how.lang, "cmp_sizing", year=str(year),
                           target=target_text(target, how.lang), n=str(replications)),
                      highlight=False)
        with local_backend(how.workers) as backend:
            sizing = size_year(file, overrides, year, [target], how.seed, replications,
                               backend, how.confidence)
        return {s.name: sizing.staffing.get(s.name, s.operators)
                for s in scenario.centre.shifts}

    try:
        return choose_staffing(scenario, parse_years(years, scenario), specs, cache, search)
    except ScenarioError as exc:
        raise fail_scenario(console, exc) from None


def print_staffing(console: Console, document: dict[str, Any], lang: str = "en") -> None:
    """Each year's operators per shift, where they come from, and whether the target is met."""
    staffing = document["staffing"]
    try:
        target = target_text(parse_target(staffing["target"]), lang)
    except TargetError:
        target = staffing["target"]
    for year, row in staffing["years"].items():
        shifts = ", ".join(f"{TEXT[lang].get('shift_' + name, name)} {n}"
                           for name, n in row["shifts"].items())
        met = text(lang, "cmp_met") if row["met"] else text(lang, "cmp_not_met", shifts=", ".join(
            TEXT[lang].get("shift_" + name, name)
            for name, a in row["attainment"].items() if not a["met"]))
        source = TEXT[lang].get(f"st_{row['source']}", row["source"])
        print_words(console, text(lang, "cmp_staffing", year=year, shifts=shifts,
                                  source=source, target=target, met=met))


def compare_or_exit(console: Console, scenario: Scenario, file: str, seed: int, count: int,
                    years: str | None, workers: int | None, psa_samples: int,
                    staffing: dict[int, Staffing], lang: str = "en") -> Comparison:
    """Run the comparison behind a progress bar; problems are printed with exit code 2."""
    try:
        plan = parse_years(years, scenario)
        columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn())
        with Progress(*columns, console=console) as progress:
            task = progress.add_task(text(lang, "cmp_both_arms", name=scenario.name),
                                     total=count * len(plan))
            return run_comparison(scenario, file, seed, count, plan, workers,
                                  on_done=lambda: progress.advance(task),
                                  psa_samples=psa_samples, staffing=staffing)
    except ScenarioError as exc:
        raise fail_scenario(console, exc) from None


def print_gains(console: Console, document: dict[str, Any], lang: str = "en") -> None:
    """The headline gains of each year, mean ± 95 % CI half-width."""
    for year, figures in document["metrics"].items():
        def show(key: str, decimals: int = 1, figs: dict[str, Any] = figures,
                 sign: float = 1.0) -> str:
            f = figs[key]
            return (f"{format_number(sign * f['mean'], lang, decimals)} ±\u00a0"
                    f"{format_number(f['ci_half_width'], lang, decimals)}")
        net = figures["nok.net.per_year"]
        costs = figures["arsverk.freed_net"]["mean"] < 0
        print_words(console, text(
            lang, "cmp_year_cost" if costs else "cmp_year", year=year,
            visits=show("visits.saved.per_week"),
            hours=show("hours.saved.per_year", 0), gross=show("arsverk.saved"),
            net=show("arsverk.freed_net", sign=-1.0 if costs else 1.0),
            nok=f"{format_nok(net['mean'], lang)} ±\u00a0{format_nok(net['ci_half_width'], lang)}"))
    economics = document["economics"]
    method = economics["method"]
    for line, name in NPV_NAMES.items():
        npv = economics["npv"][line]
        print_words(console, text(
            lang, "cmp_npv", first=str(method["first_year"]),
            last=str(method["first_year"] + method["period_years"] - 1),
            rate=format_share(method["discount_rate"], lang), name=text(lang, name),
            value=f"{format_nok(npv['mean'], lang)} ±\u00a0"
                  f"{format_nok(npv['ci_half_width'], lang)}"))
    print_words(console, text(lang, "cmp_plusminus", n=str(document.get("replications", "?"))))


NPV_NAMES = {"net.cash": "cmp_npv_cash", "net.with_capacity": "cmp_npv_capacity"}
LINE_NAMES = {"net.cash": "cmp_line_cash", "net.with_capacity": "cmp_line_capacity"}


def print_psa(console: Console, psa: dict[str, Any], lang: str = "en") -> None:
    """The distribution of the net present value over the draws, and what drives it."""
    line = psa["outcome"]["headline"]
    spread, ranking = psa["npv"][line]["distribution"], psa["npv"][line]["ranking"]
    print_words(console, text(
        lang, "cmp_psa", n=str(spread["n"]), k=str(len(psa["inputs"]) - 1),
        line=text(lang, LINE_NAMES[line]) if line in LINE_NAMES else line,
        p10=format_nok(spread["p10"], lang), p50=format_nok(spread["p50"], lang),
        p90=format_nok(spread["p90"], lang),
        neg=f"{format_number(100 * spread['p_negative'], lang, 1)}\u00a0%"))
    names = {item["path"]: (item.get("labels") or {}).get(lang) or item["path"]
             for item in psa["inputs"]}
    top = ", ".join(f"{names.get(r['path'], r['path'])} ({format_number(r['total'], lang, 2)})"
                    for r in ranking[:3])
    print_words(console, text(lang, "cmp_psa_top", top=top))


def print_no_psa(console: Console, scenario: Scenario, psa_samples: int, lang: str) -> None:
    """Why the uncertainty analysis and tornado chart are missing: no sensitivity section, or
    ``--psa-samples 0``."""
    if not require_benefit(scenario).sensitivity:
        print_words(console, text(lang, "cmp_no_sensitivity"))
    elif not psa_samples:
        print_words(console, text(lang, "cmp_no_psa"))


def write_compare_info(path: Path, source: Path, seed: int, count: int,
                       years: tuple[int, ...], wall: float) -> None:
    """Facts that vary between runs (wall time), kept out of metrics.json."""
    info = {"vtsim_version": __version__, "scenario_file": str(source), "seed": seed,
            "replications": count, "years": list(years), "wall_s": round(wall, 3)}
    path.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")


def report(
    directory: Annotated[Path, typer.Argument(help="Folder written by vtsim compare.")],
    lang: Annotated[Lang, typer.Option(help="Language: nb (Bokmål) or en.")] = Lang.nb,
    format_: Annotated[Format, typer.Option("--format", help="html, xlsx or pdf.")] = Format.html,
    output: Annotated[Path | None, typer.Option(help="File to write (default: in DIRECTORY).")
                      ] = None,
    follow_up: Annotated[Path | None, typer.Option(
        "--follow-up", help="CSV of figures measured per month after go-live: planned against "
                            "realised (docs/benefit.md).")] = None,
) -> None:
    """Write the benefit report (HTML, spreadsheet or PDF) from a comparison's metrics.json."""
    console = Console()
    if is_region_run(directory):
        write_region_report(console, directory, lang.value, format_.value, output)
        return
    document = read_document(console, directory)
    target = output or directory / f"benefit-report.{lang.value}.{format_.value}"
    output_or_exit(console, lambda: check_file_target(target, "--output"))
    if follow_up is not None:
        document["follow_up"] = follow_up_or_exit(console, document, follow_up)
        written = directory / FOLLOW_UP_FILE
        write_metrics(written, document["follow_up"])
        console.print(text(lang.value, "wrote", path=str(written)), highlight=False)
    target.parent.mkdir(parents=True, exist_ok=True)
    if format_ is Format.html:
        target.write_text(render_html(document, lang.value), encoding="utf-8")
    elif format_ is Format.xlsx:
        write_xlsx(document, lang.value, target)
    else:
        write_pdf(document, lang.value, target)
    console.print(text(lang.value, "wrote", path=str(target)), highlight=False)


def is_region_run(directory: Path) -> bool:
    """Whether the folder holds a region run (``vtsim run region.yaml``), not a comparison."""
    return (directory / "region.resolved.yaml").is_file()


def write_region_report(console: Console, directory: Path, lang: str, fmt: str,
                        output: Path | None) -> None:
    """The shared centre's report: members, cost sharing, organisation models."""
    from reports.region_report import (
        RegionReportError,
        render_region_html,
        write_region_pdf,
        write_region_xlsx,
    )

    try:
        document = json.loads((directory / "metrics.json").read_text(encoding="utf-8"))
        target = output or directory / f"region-report.{lang}.{fmt}"
        target.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "html":
            target.write_text(render_region_html(document, lang), encoding="utf-8")
        elif fmt == "xlsx":
            write_region_xlsx(document, lang, target)
        else:
            write_region_pdf(document, lang, target)
    except (OSError, json.JSONDecodeError, RegionReportError) as exc:
        raise fail(console, f"cannot write the region report from {directory}: {exc}",
                   EXIT_BAD_INPUT) from None
    console.print(text(lang, "r_wrote_files", files=str(target)), highlight=False)


def follow_up_or_exit(console: Console, document: dict[str, Any], path: Path
                      ) -> dict[str, Any]:
    """Planned against measured figures by month; a bad file is an error with exit code 2."""
    try:
        return follow_up_section(document, read_measured(path), path.name)
    except MeasuredError as exc:
        raise fail(console, str(exc), EXIT_BAD_INPUT) from None


def read_document(console: Console, directory: Path) -> dict[str, Any]:
    """The comparison's metrics.json, or an error saying what to run first."""
    path = directory / "metrics.json"
    try:
        document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise fail(console, f"cannot read {path} ({exc}); run `vtsim compare SCENARIO --out "
                            f"{directory}` first.", EXIT_BAD_INPUT) from None
    if document.get("schema") != "vtsim.benefit/1":
        raise fail(console, f"{path} is not a comparison (schema {document.get('schema')!r}); "
                            "run `vtsim compare` for a benefit report.", EXIT_BAD_INPUT)
    return document
