"""Running a comparison: replications of both arms for each year of a plan, and the variants of
the sensitivity analysis, in parallel processes.

Replication ``i`` of every year and every variant draws from the streams of ``(seed, i)``, so a
variant differs from the base only by its one changed assumption (common random numbers), and
the figures do not depend on the number of worker processes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

from sim.benefit.economics import YearInputs
from sim.benefit.gains import (
    INPUT,
    VARIANT,
    BenefitError,
    Variant,
    base_year,
    check_benefit,
    compare_replication,
    require_benefit,
    scenario_for_year,
)
from sim.benefit.psa import PsaRow, evaluate_rows, plan_psa, summarise_psa
from sim.benefit.staffing import Staffing, with_staffing
from sim.errors import Problem, ScenarioError
from sim.run.replication import run_replication
from sim.run.runner import default_workers
from sim.scenario.loading import number_at, set_path, validate_scenario
from sim.scenario.schema import Scenario

SIDES = ("low", "high")


@dataclass(frozen=True, slots=True)
class Task:
    """One replication of one year."""

    year: int
    index: int
    scenario: Scenario
    variants: tuple[Variant, ...]
    psa_rows: tuple[PsaRow, ...] = ()
    file: str = ""


@dataclass(frozen=True, slots=True)
class Comparison:
    """Figures of every replication, by year (in order), and the years' scenarios."""

    years: tuple[int, ...]
    per_year: dict[int, list[dict[str, float]]]
    scenarios: dict[int, Scenario]
    psa: dict[str, Any] | None = None
    """The probabilistic sensitivity analysis (:func:`sim.benefit.psa.summarise_psa`)."""
    staffing_sources: dict[int, str] = field(default_factory=dict)
    """Where each year's operators per shift come from (:mod:`sim.benefit.staffing`)."""
    variant_inputs: dict[str, list[dict[str, float]]] = field(default_factory=dict)
    """Each sensitivity variant's inputs to the appraisal, per replication of the first year."""


def parse_years(text: str | None, scenario: Scenario) -> tuple[int, ...]:
    """``"2026-2030"`` (or ``"2026"``) as the years of the plan; the base year when absent."""
    if not text:
        return (base_year(scenario),)
    first, sep, last = text.partition("-")
    try:
        years = (int(first), int(last) if sep else int(first))
    except ValueError:
        raise BenefitError([Problem("--years", "", "expected YEAR or FIRST-LAST", text)]) from None
    if years[1] < years[0] or years[1] - years[0] > 50:
        raise BenefitError([Problem("--years", "", "expected FIRST-LAST with FIRST <= LAST, at "
                                    "most 50 years", text)])
    return tuple(range(years[0], years[1] + 1))


def sensitivity_variants(scenario: Scenario, file: str) -> tuple[Variant, ...]:
    """The scenario with each sensitivity assumption at its low and at its high value."""
    variants = []
    for n, item in enumerate(require_benefit(scenario).sensitivity):
        for side, value in zip(SIDES, (item.low, item.high), strict=True):
            data = scenario.model_dump(mode="json", by_alias=True)
            check_number_at(data, item.path, file, n)
            set_path(data, item.path, value, file)
            variants.append(Variant(f"sensitivity.{n}.{side}", validate_scenario(data, file)))
    return tuple(variants)


def check_number_at(data: dict[str, Any], dotted: str, file: str, n: int) -> None:
    """The path of a sensitivity item must lead to a number in the scenario."""
    if number_at(data, dotted) is None:
        raise ScenarioError([Problem(file, f"benefit.sensitivity.{n}.path",
                                     "must name a number in the scenario", repr(dotted))])


def run_comparison(
    scenario: Scenario,
    file: str,
    seed: int,
    replications: int,
    years: Sequence[int],
    workers: int | None = None,
    on_done: Callable[[], None] | None = None,
    psa_samples: int = 0,
    staffing: Mapping[int, Staffing] | None = None,
) -> Comparison:
    """Both arms for every year and replication; sensitivity variants in the first year; with
    ``psa_samples`` (a Saltelli base size, 0 for none) the probabilistic sensitivity analysis;
    each year at its ``staffing`` (the scenario's shifts where none is given)."""
    staffing = staffing or {}
    scenarios = {year: with_staffing(scenario_for_year(scenario, year), staffing[year].shifts)
                 if year in staffing else scenario_for_year(scenario, year) for year in years}
    for year_scenario in scenarios.values():
        check_benefit(year_scenario, file)
    variants = sensitivity_variants(scenarios[years[0]], file)
    plan = (plan_psa(scenarios[years[0]], file, replications, psa_samples, seed)
            if psa_samples else None)
    tasks = [Task(year, i, scenarios[year], variants if year == years[0] else (),
                  plan.rows_of(i) if plan else (), file)
             for year in years for i in range(replications)]
    results = run_tasks(tasks, seed, workers or default_workers(len(tasks)), on_done)
    per_year = {year: [results[(year, i)][0] for i in range(replications)] for year in years}
    variant_inputs = split_variant_inputs(per_year[years[0]])
    add_plan_figures(per_year, tuple(years))
    psa = None
    if plan:
        drawn = {year: {row: figures for i in range(replications)
                        for row, figures in results[(year, i)][1].items()} for year in years}
        psa = summarise_psa(plan, scenarios[years[0]], drawn, tuple(years), file)
    sources: dict[int, str] = {year: staffing[year].source if year in staffing
                               else "as written" for year in years}
    return Comparison(tuple(years), per_year, scenarios, psa, sources, variant_inputs)


def split_variant_inputs(replications: list[dict[str, float]]) -> dict[str, list[dict[str, float]]]:
    """Take the variants' appraisal inputs out of the replications' figures: variant key ->
    per replication the inputs under their own keys."""
    out: dict[str, list[dict[str, float]]] = {}
    for i, figures in enumerate(replications):
        for key in [k for k in figures if k.startswith(VARIANT)]:
            name, _, rest = key.removeprefix(VARIANT).partition(INPUT)
            out.setdefault(name, [{} for _ in replications])[i][rest] = figures.pop(key)
    return out


TaskResult = tuple[dict[str, float], dict[int, YearInputs]]
"""A replication's figures and the simulated figures of its PSA draws."""


def run_task(task: Task, seed: int) -> tuple[int, int, TaskResult]:
    """One replication of one year, and the PSA draws on its records (in a worker process)."""
    log = run_replication(task.scenario, seed, task.index)
    figures = compare_replication(task.scenario, seed, task.index, task.variants, log)
    drawn = evaluate_rows(task.scenario, log, seed, task.index, task.psa_rows, task.file)
    return task.year, task.index, (figures, drawn)


def run_tasks(tasks: list[Task], seed: int, workers: int,
              on_done: Callable[[], None] | None) -> dict[tuple[int, int], TaskResult]:
    """Every task's figures by (year, replication)."""
    results: dict[tuple[int, int], TaskResult] = {}
    if workers == 1:
        for task in tasks:
            year, index, figures = run_task(task, seed)
            results[(year, index)] = figures
            if on_done:
                on_done()
        return results
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(run_task, task, seed) for task in tasks]
        for future in as_completed(futures):
            year, index, figures = future.result()
            results[(year, index)] = figures
            if on_done:
                on_done()
    return results


def add_plan_figures(per_year: dict[int, list[dict[str, float]]], years: tuple[int, ...]) -> None:
    """One-off costs falling in each year and the cumulative net gain, per replication."""
    replications = len(per_year[years[0]])
    for i in range(replications):
        cumulative = 0.0
        previous: dict[str, float] | None = None
        for year in years:
            figures = per_year[year][i]
            one_off = one_off_in_year(figures, previous)
            figures["nok.costs.one_off_in_year"] = one_off
            cumulative += figures["nok.net.per_year"] - one_off
            figures["nok.cumulative"] = cumulative
            previous = figures


def one_off_in_year(figures: dict[str, float], previous: dict[str, float] | None) -> float:
    """Everything in the first year; later, installation of the devices added since last year."""
    if previous is None:
        return figures["nok.costs.one_off"]
    added = figures["nok.costs.one_off"] - previous["nok.costs.one_off"]
    return max(0.0, added) if not math.isnan(added) else 0.0
