"""Probabilistic sensitivity analysis (PSA) of a comparison: every uncertain assumption drawn
from its distribution together with the others and with the simulation's own noise, giving the
distribution of the result and a ranking of what drives it (Sobol' indices).

Each item of ``benefit.sensitivity`` under ``benefit.`` is an uncertain input with its range
(``low``, ``high``), most likely value (``mode``, by default the scenario's value) and shape
(``distribution``: PERT by default, or triangular or uniform). The simulation's noise is one
more input, *replication*: each draw takes the arm differences of one replication, chosen
uniformly, so a result never looks surer than the simulation is. Items outside ``benefit.``
(such as an event rate) would need a new simulation for every draw; they are left out of the
PSA and stay in the one-way tornado.

The design is Saltelli's (:mod:`sim.analysis.global_sensitivity`), seeded from the comparison's
seed. Every row of the design is one draw: its assumption values are set in the year's scenario
and the benefit of its replication is re-evaluated on the same simulated records (common random
numbers), in the worker process that simulated that replication. See docs/benefit.md,
"Uncertainty".
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.analysis.global_sensitivity import (
    SaltelliDesign,
    describe_outcomes,
    ranked,
    saltelli_design,
    sobol_indices,
)
from sim.analysis.uncertain_inputs import UncertainInput
from sim.benefit.appraisal import assumptions_of, year_inputs
from sim.benefit.economics import NET_LINES, YearInputs, cash_flows, net_present_value
from sim.benefit.gains import BenefitError, replication_benefit, require_benefit
from sim.errors import Problem
from sim.model.records import RunLog
from sim.scenario.loading import number_at, set_path, validate_scenario
from sim.scenario.schema import Scenario

REPLICATION = "replication"
"""The input standing for the simulation's own noise."""
BENEFIT_PREFIX = "benefit."
DEFAULT_BASE_SIZE = 32
"""Saltelli base sample size of ``vtsim compare`` (``--psa-samples``): 32 × (inputs + 2)
evaluations. Enough to rank a few dominant assumptions; use 256 or more for a final report."""
PSA_STREAM = 0x50_53_41
"""Mixed into the comparison's seed for the design's scrambling ("PSA")."""
PRICES = ("benefit.costs.", "benefit.economics.", "benefit.hours_per_arsverk")
"""Paths that change only the arithmetic of money, never the simulated figures of a draw."""
HEADLINE = "net.cash"
"""The net present value that leads: the cash line (DFØ, R-109; freed capacity apart)."""
OUTCOME_DESCRIPTION = ("Net present value over the analysis period of each net line of the "
                       "cash-flow table (economics.cash_flows): budget.net, net.cash (after "
                       "skattekostnad) and net.with_capacity (plus the value of freed "
                       "capacity, not cash), in NOK of the price year.")


@dataclass(frozen=True, slots=True)
class PsaInput:
    """One sensitivity item drawn in the PSA."""

    n: int
    distribution: UncertainInput
    integer: bool
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def path(self) -> str:
        """The dotted scenario path."""
        return self.distribution.name


@dataclass(frozen=True, slots=True)
class PsaRow:
    """One draw: which replication, and the value of every input at its path."""

    row: int
    replication: int
    values: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class PsaPlan:
    """The draws of a PSA, fixed before anything is simulated."""

    inputs: tuple[PsaInput, ...]
    left_out: tuple[tuple[int, str], ...]
    design: SaltelliDesign
    rows: tuple[PsaRow, ...]
    seed: int
    replications: int

    def rows_of(self, replication: int) -> tuple[PsaRow, ...]:
        """The draws evaluated on one replication's records."""
        return tuple(r for r in self.rows if r.replication == replication)


def psa_seed(seed: int) -> int:
    """The design's seed, derived from the comparison's seed."""
    return int(np.random.SeedSequence([seed, PSA_STREAM]).generate_state(1)[0])


def psa_inputs(scenario: Scenario, file: str
               ) -> tuple[tuple[PsaInput, ...], tuple[tuple[int, str], ...]]:
    """The sensitivity items drawn in the PSA, and those left out (path outside ``benefit.``);
    :class:`BenefitError` listing every item that cannot be drawn."""
    problems = list(sensitivity_problems(scenario, file))
    if problems:
        raise BenefitError(problems)
    data = scenario.model_dump(mode="json", by_alias=True)
    inputs, left_out = [], []
    for n, item in enumerate(require_benefit(scenario).sensitivity):
        current = number_at(data, item.path)
        if not item.path.startswith(BENEFIT_PREFIX) or current is None:
            left_out.append((n, item.path))
            continue
        mode = current if item.mode is None else item.mode
        distribution = UncertainInput(item.path, item.low, item.high, mode, item.distribution)
        labels = {str(lang): text for lang, text in item.labels.items()}
        inputs.append(PsaInput(n, distribution, isinstance(current, int), labels))
    return tuple(inputs), tuple(left_out)


def sensitivity_problems(scenario: Scenario, file: str) -> Iterator[Problem]:
    """Items under ``benefit.`` that name no number, or whose most likely value (by default
    the scenario's) lies outside their range (``vtsim check`` reports them too)."""
    data = scenario.model_dump(mode="json", by_alias=True)
    for n, item in enumerate(require_benefit(scenario).sensitivity):
        if not item.path.startswith(BENEFIT_PREFIX):
            continue
        current = number_at(data, item.path)
        if current is None:
            yield Problem(file, f"benefit.sensitivity.{n}.path",
                          "must name a number in the scenario", repr(item.path))
        elif item.mode is None and not item.low <= current <= item.high:
            yield Problem(file, f"benefit.sensitivity.{n}.low",
                          f"the scenario's value {current:g} at {item.path} (the most likely "
                          f"value unless `mode` is given) lies outside low {item.low:g} and "
                          f"high {item.high:g}", f"{item.low:g}..{item.high:g}")


def plan_psa(scenario: Scenario, file: str, replications: int, base_size: int,
             seed: int) -> PsaPlan | None:
    """The draws of the PSA, or ``None`` when no assumption can be drawn."""
    inputs, left_out = psa_inputs(scenario, file)
    if not inputs:
        return None
    names = [i.path for i in inputs] + [REPLICATION]
    design = saltelli_design(names, base_size, psa_seed(seed))
    columns = [draw_values(i, design.unit[:, k]) for k, i in enumerate(inputs)]
    chosen = np.minimum((design.unit[:, -1] * replications).astype(int), replications - 1)
    rows = tuple(PsaRow(r, int(chosen[r]),
                        tuple((i.path, float(col[r])) for i, col in zip(inputs, columns,
                                                                       strict=True)))
                 for r in range(design.rows))
    return PsaPlan(inputs, left_out, design, rows, seed, replications)


def draw_values(item: PsaInput, unit: np.ndarray) -> np.ndarray:
    """An input's values at the design's probabilities (whole numbers where the scenario's
    value is one)."""
    values = item.distribution.quantile(unit)
    return np.rint(values) if item.integer else values


def with_values(scenario: Scenario, values: Sequence[tuple[str, float]], file: str) -> Scenario:
    """The scenario with every drawn value set at its path."""
    data = scenario.model_dump(mode="json", by_alias=True)
    for path, value in values:
        whole = isinstance(number_at(data, path), int)
        set_path(data, path, round(value) if whole else value, file)
    return validate_scenario(data, file)


def changes_figures(path: str) -> bool:
    """Whether a drawn path changes the simulated figures (not only prices and rates)."""
    return not path.startswith(PRICES)


def evaluate_rows(scenario: Scenario, log: RunLog, seed: int, index: int,
                  rows: Sequence[PsaRow], file: str) -> dict[int, YearInputs]:
    """The year's simulated figures of each draw on one replication's records (in a worker);
    draws that differ only in prices and rates share one evaluation."""
    out: dict[int, YearInputs] = {}
    done: dict[tuple[tuple[str, float], ...], YearInputs] = {}
    for row in rows:
        key = tuple((p, v) for p, v in row.values if changes_figures(p))
        if key not in done:
            varied = with_values(scenario, key, file)
            figures = replication_benefit(varied, log, seed, index, with_quality=False)
            done[key] = year_inputs(scenario.start.year, figures)
        out[row.row] = done[key]
    return out


def npv_lines(scenario: Scenario, row: PsaRow, first_year: int,
              simulated: Sequence[YearInputs], file: str) -> dict[str, float]:
    """The net present value of every net line for one draw: its prices and rates in the
    assumptions, its simulated figures in the cash flows."""
    prices = tuple((p, v) for p, v in row.values if not changes_figures(p))
    benefit = require_benefit(with_values(scenario, prices, file) if prices else scenario)
    assumptions = assumptions_of(benefit, first_year)
    table = cash_flows(assumptions, simulated)
    return {line: net_present_value(table.line(line), assumptions.discount_rate)
            for line in NET_LINES}


def summarise_psa(plan: PsaPlan, scenario: Scenario,
                  figures: Mapping[int, Mapping[int, YearInputs]], years: Sequence[int],
                  file: str, confidence: float = 0.95) -> dict[str, Any]:
    """The ``psa`` section of metrics.json: the inputs, and for every net line the
    distribution of its net present value over the independent draws and the Sobol' ranking
    (docs/benefit-metrics.md). ``scenario`` is the first year's."""
    values = [npv_lines(scenario, r, years[0], [figures[y][r.row] for y in years], file)
              for r in plan.rows]
    lines = {line: line_document(plan, np.array([v[line] for v in values]), confidence)
             for line in NET_LINES}
    return {
        "outcome": {"key": f"npv.{HEADLINE}", "headline": HEADLINE, "unit": "NOK",
                    "description": OUTCOME_DESCRIPTION},
        "method": "Saltelli design, Sobol' indices (SALib)",
        "base_size": plan.design.base_size,
        "evaluations": plan.design.rows,
        "seed": plan.seed,
        "confidence": confidence,
        "inputs": [input_document(i) for i in plan.inputs] + [
            {"n": None, "path": REPLICATION, "distribution": "discrete uniform",
             "low": 0, "high": plan.replications - 1, "mode": None, "mean": None,
             "labels": {"nb": "Simuleringsstøy (replikasjon)",
                        "en": "Simulation noise (replication)"}}],
        "left_out": [{"n": n, "path": path, "reason": "changes the simulation itself; varied "
                      "one at a time in the tornado only"} for n, path in plan.left_out],
        **lines[HEADLINE],
        "npv": lines,
    }


def line_document(plan: PsaPlan, outcomes: np.ndarray, confidence: float) -> dict[str, Any]:
    """One net line: the distribution of its NPV, the ranking, and the independent draws."""
    independent = outcomes[plan.design.independent_rows()]
    spread = describe_outcomes(independent)
    indices = ranked(sobol_indices(plan.design, outcomes, psa_seed(plan.seed), confidence))
    by_path = {i.path: i for i in plan.inputs}
    return {
        "distribution": {"n": spread.n, "mean": rounded(spread.mean),
                         "p10": rounded(spread.p10), "p50": rounded(spread.p50),
                         "p90": rounded(spread.p90), "p_negative": rounded(spread.p_negative),
                         "min": rounded(spread.minimum), "max": rounded(spread.maximum)},
        "ranking": [{"path": s.name,
                     "n": by_path[s.name].n if s.name in by_path else None,
                     "first": rounded(s.first), "first_conf": rounded(s.first_conf),
                     "total": rounded(s.total), "total_conf": rounded(s.total_conf)}
                    for s in indices],
        "draws": [rounded(float(v)) for v in independent],
    }


def input_document(item: PsaInput) -> dict[str, Any]:
    """One drawn assumption as metrics.json shows it."""
    d = item.distribution
    return {"n": item.n, "path": item.path, "distribution": d.shape, "low": d.low,
            "high": d.high, "mode": d.mode, "mean": rounded(d.mean),
            "labels": dict(item.labels)}


def rounded(value: float) -> float | None:
    """JSON has no NaN; nine decimals as in the rest of metrics.json."""
    return None if math.isnan(value) else round(value, 9)
