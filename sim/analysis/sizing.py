"""Sizing a centre: the fewest operators per shift and field workers per zone that meet every
target with the stated confidence, for each year of a plan.

*Met with confidence* means: for every shift (zone), the lower end of the two-sided Student t
confidence interval (95 % by default) of the share within the target, across replications, is
at least the target share. Shares are per shift (incidents received while it is on duty) and
per zone (visits to homes in it), so no shift is carried by another.

The search starts from the analytic estimate (Erlang C per hour of the day,
:mod:`sim.analysis.erlang`),
never below two operators on duty (Helsedirektoratet IS-2552) or one field worker per zone.
Each round simulates the current staffing and, beside it, each shift and zone with one fewer.
Shifts or zones that miss a target get one more; those that still meet their targets with one
fewer get one fewer; it stops when neither happens. A value that missed a target once is never
tried again, so the search ends. The staffing is also limited to ``MOST_EXTRA`` above the start:
a target not met there is reported as not reachable by staffing alone. This lives in reports/
because it judges results by their confidence intervals (:mod:`sim.analysis.aggregate`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sim.analysis.aggregate import confidence_interval
from sim.analysis.erlang import (
    HourlyLoad,
    hours_of,
    incident_loads,
    incident_sources,
    outcome_probabilities,
    servers_per_hour,
    visit_loads,
)
from sim.analysis.sweep import Finished, Point
from sim.analysis.sweep_plan import SweepPlan, execute, load_points
from sim.analysis.targets import Target
from sim.benefit.gains import base_year, scenario_for_year
from sim.run.backends import Backend
from sim.scenario.durations import format_duration
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Scenario

DEFAULT_GROWTH = 0.065
"""Users per year when a scenario sets no growth: people aged 80+ roughly double from ~2019 to
~2030 (Lier kommune, helse-, omsorgs- og velferdsplan fram mot 2026, 2018),
2 ** (1 / 11) - 1 = 6.5 % a year."""
FEWEST_OPERATORS = 2
"""Never fewer than two on duty: one is not professionally sound (Helsedirektoratet IS-2552)."""
FEWEST_FIELD_STAFF = 1
MOST_EXTRA = 8
MOST_ROUNDS = 30


@dataclass(frozen=True, slots=True)
class Dimension:
    """One thing to size: a shift's operators or a zone's field workers."""

    name: str
    kind: Literal["shift", "zone"]
    path: str
    floor: int
    analytic: int | None
    peak_hour: int | None
    targets: tuple[Target, ...]

    @property
    def start(self) -> int:
        """Where the search starts: the analytic estimate, raised to the floor."""
        return max(self.floor, self.analytic if self.analytic is not None else self.floor)


@dataclass(frozen=True, slots=True)
class Judgement:
    """One target of one shift or zone at one staffing."""

    dimension: str
    target: Target
    mean: float
    low: float
    n: int

    @property
    def met(self) -> bool:
        """Met with confidence (nothing to judge counts as met: no incident, nothing missed)."""
        return self.n == 0 or (not math.isnan(self.low) and self.low >= self.target.share)


@dataclass(frozen=True)
class YearSizing:
    """The result for one year."""

    year: int
    users: int
    incidents_per_day: float
    dimensions: tuple[Dimension, ...]
    staffing: dict[str, int]
    judgements: tuple[Judgement, ...]
    unreachable: frozenset[str]
    points_run: int
    reasons: dict[str, Reason] = field(default_factory=dict)
    scenario: Scenario | None = None
    """The year's scenario (grown user counts) with the chosen staffing."""
    runs: tuple[dict[str, float], ...] = ()
    """Every replication's metrics at the chosen staffing."""

    def judgements_of(self, name: str) -> list[Judgement]:
        """The judgements of one shift or zone at the chosen staffing."""
        return [j for j in self.judgements if j.dimension == name]


Evaluate = Callable[[list[dict[str, int]]], list[list[Finished]]]


def target_overrides(scenario: Scenario, targets: Sequence[Target]) -> dict[str, Any]:
    """The scenario's target thresholds with those of ``targets`` added (so they are measured)."""
    answer = set(scenario.targets.answer_within) | {t.within_s for t in targets
                                                    if t.kind == "answer"}
    visit = set(scenario.targets.visit_within) | {t.within_s for t in targets
                                                  if t.kind == "visit"}
    return {"targets.answer_within": sorted(answer), "targets.visit_within": sorted(visit)}


def growth_overrides(scenario: Scenario, year: int) -> dict[str, Any]:
    """User counts grown to ``year`` with the scenario's growth (see :func:`growth_of`)."""
    grown = scenario_for_year(with_growth(scenario), year)
    return {f"users.{u.name}.count": u.count for u in grown.users}


def with_growth(scenario: Scenario) -> Scenario:
    """The scenario, with :data:`DEFAULT_GROWTH` if it sets no ``growth`` section."""
    if "growth" in scenario.model_fields_set:
        return scenario
    growth = scenario.growth.model_copy(update={"rate": DEFAULT_GROWTH})
    return scenario.model_copy(update={"growth": growth})


def growth_of(scenario: Scenario) -> tuple[float, str]:
    """The growth rate used, and where it comes from."""
    if "growth" in scenario.model_fields_set:
        return scenario.growth.rate, "the scenario's growth section"
    return DEFAULT_GROWTH, ("default: people aged 80+ roughly double by ~2030 (Lier kommune, "
                            "helse-, omsorgs- og velferdsplan, 2018)")


def shift_dimensions(scenario: Scenario, targets: Sequence[Target]) -> list[Dimension]:
    """Every shift, with its Erlang C estimate: the most any of its hours needs."""
    answer = tuple(t for t in targets if t.kind == "answer")
    if not answer:
        return []
    loads = incident_loads(scenario)
    need = [max(per_hour) for per_hour in zip(
        *(servers_per_hour(loads, t.within_s, t.share) for t in answer), strict=True)]
    floor = max(FEWEST_OPERATORS, scenario.centre.min_operators)
    dims = []
    for shift in scenario.centre.shifts:
        hours = hours_of(shift)
        peak = max(hours, key=lambda h: (need[h], loads[h].erlang))
        dims.append(Dimension(shift.name, "shift", f"centre.shifts.{shift.name}.operators",
                              floor, need[peak], peak, answer))
    return dims


def zone_dimensions(scenario: Scenario, targets: Sequence[Target]) -> list[Dimension]:
    """Every zone, with an Erlang C estimate of field workers on the visit's slack: the target
    less the mean assessment before dispatch and the mean travel time."""
    visit = tuple(t for t in targets if t.kind == "visit")
    if not visit:
        return []
    before = dispatch_delay(scenario)
    dims = []
    for zone in scenario.zones:
        loads = visit_loads(scenario, zone)
        estimates = [zone_estimate(loads, t, t.within_s - before - zone.travel_time.mean)
                     for t in visit]
        analytic = None if None in estimates else max(e for e in estimates if e is not None)
        peak = max(range(24), key=lambda h: loads[h].erlang)
        dims.append(Dimension(zone.name, "zone", f"zones.{zone.name}.field_staff",
                              FEWEST_FIELD_STAFF, analytic, peak, visit))
    return dims


def zone_estimate(loads: Sequence[HourlyLoad], target: Target, slack: float) -> int | None:
    """Field workers so that the wait for one is within ``slack`` often enough (None: the
    slack is used up by assessment and travel, no number of workers is enough on average)."""
    if slack <= 0:
        return None
    return max(servers_per_hour(loads, slack, target.share))


def dispatch_delay(scenario: Scenario) -> float:
    """Mean operator handling time of the incidents that end in a visit (time before dispatch)."""
    total = weight = 0.0
    for config in (c for d in scenario.devices.values() for c in d.events.values()):
        p_visit = outcome_probabilities(scenario, config).get("home_visit", 0.0)
        if p_visit and config.generated:
            defaults = scenario.centre.defaults
            total += p_visit * (config.handling or defaults.handling).mean
            weight += p_visit
    return total / weight if weight else 0.0


def judge(dims: Sequence[Dimension], runs: Sequence[Finished],
          confidence: float) -> list[Judgement]:
    """Every target of every dimension over one staffing's replications."""
    out = []
    for dim in dims:
        for target in dim.targets:
            values = [r.metrics.get(target.attainment_key(dim.name), math.nan) for r in runs]
            mean, half = confidence_interval(values, confidence)
            n = sum(1 for v in values if not math.isnan(v))
            out.append(Judgement(dim.name, target, mean, mean - half, n))
    return out


def all_met(judgements: Sequence[Judgement], name: str) -> bool:
    """Whether every target of one dimension is met."""
    return all(j.met for j in judgements if j.dimension == name)


def search(dims: Sequence[Dimension], evaluate: Evaluate,
           confidence: float) -> tuple[dict[str, int], list[Judgement], frozenset[str], int]:
    """The fewest staff per dimension meeting its targets; also the judgements there, the
    dimensions not reachable, and how many staffings were simulated."""
    state = SearchState(dims)
    for _ in range(MOST_ROUNDS):
        lowering = [n for n in state.current if n not in state.unreachable
                    and state.current[n] - 1 > state.failed[n]]
        probes = [dict(state.current)] + [{**state.current, n: state.current[n] - 1}
                                          for n in lowering]
        runs = run_cached(probes, evaluate, state.cache, dims)
        here = judge(dims, runs[0], confidence)
        raised = state.raise_missing(here)
        lowered = state.lower_passing(here, lowering, runs[1:], confidence)
        if not raised and not lowered:
            return dict(state.current), here, frozenset(state.unreachable), len(state.cache)
    raise RuntimeError("the staffing search did not settle")  # pragma: no cover


class SearchState:
    """Where the search stands: current staffing, highest failing value, what is out of reach."""

    def __init__(self, dims: Sequence[Dimension]) -> None:
        self.dims = {d.name: d for d in dims}
        self.current = {d.name: d.start for d in dims}
        self.failed = {d.name: d.floor - 1 for d in dims}
        self.cap = {d.name: d.start + MOST_EXTRA for d in dims}
        self.means: dict[tuple[str, int], float] = {}
        self.cache: dict[tuple[int, ...], list[Finished]] = {}
        self.unreachable: set[str] = set()

    def raise_missing(self, here: Sequence[Judgement]) -> list[str]:
        """One more for every dimension missing a target; mark those where more stopped
        helping (mean attainment up by less than a tenth of a percentage point) or the cap
        is reached as not reachable."""
        raised = []
        for name, value in self.current.items():
            if all_met(here, name) or name in self.unreachable:
                continue
            self.failed[name] = max(self.failed[name], value)
            mean = min(j.mean for j in here if j.dimension == name)
            before = self.means.get((name, value - 1))
            self.means[(name, value)] = mean
            if value >= self.cap[name] or (before is not None and mean - before < 0.001):
                self.unreachable.add(name)
            else:
                self.current[name] = value + 1
                raised.append(name)
        return raised

    def lower_passing(self, here: Sequence[Judgement], lowering: Sequence[str],
                      runs: Sequence[list[Finished]], confidence: float) -> list[str]:
        """One fewer for every dimension that meets its targets now and also with one fewer."""
        lowered = []
        for name, probe_runs in zip(lowering, runs, strict=True):
            if not all_met(here, name):
                continue
            if all(j.met for j in judge([self.dims[name]], probe_runs, confidence)):
                self.current[name] -= 1
                lowered.append(name)
            else:
                self.failed[name] = max(self.failed[name], self.current[name] - 1)
        return lowered


def run_cached(probes: Sequence[dict[str, int]], evaluate: Evaluate,
               cache: dict[tuple[int, ...], list[Finished]],
               dims: Sequence[Dimension]) -> list[list[Finished]]:
    """The replications of every probe, simulating only staffings not seen before."""
    keys = [tuple(p[d.name] for d in dims) for p in probes]
    todo = [p for p, k in zip(probes, keys, strict=True) if k not in cache]
    for probe, runs in zip(todo, evaluate(todo) if todo else [], strict=True):
        cache[tuple(probe[d.name] for d in dims)] = runs
    return [cache[k] for k in keys]


def sweep_evaluator(scenario_file: Path, base: dict[str, Any], dims: Sequence[Dimension],
                    seed: int, replications: int, backend: Backend,
                    on_done: Callable[[Finished], None] | None = None) -> Evaluate:
    """Simulate staffings as the points of a sweep on ``backend`` (common random numbers)."""
    paths = {d.name: d.path for d in dims}

    def evaluate(staffings: list[dict[str, int]]) -> list[list[Finished]]:
        points = tuple(Point(i, tuple((paths[n], v) for n, v in s.items()))
                       for i, s in enumerate(staffings))
        plan = SweepPlan(scenario_file, points, seed, replications, base)
        finished = execute(plan, load_points(plan), backend, on_done=on_done)
        return [[f for f in finished if f.point == i] for i in range(len(points))]

    return evaluate


def staffing_key(staffing: dict[str, int]) -> tuple[tuple[str, int], ...]:
    """A staffing as a hashable key, independent of order."""
    return tuple(sorted(staffing.items()))


def remembering(evaluate: Evaluate) -> tuple[Evaluate, dict[tuple[tuple[str, int], ...],
                                                            list[Finished]]]:
    """``evaluate`` that also keeps every staffing's replications, by :func:`staffing_key`."""
    seen: dict[tuple[tuple[str, int], ...], list[Finished]] = {}

    def evaluate_and_keep(staffings: list[dict[str, int]]) -> list[list[Finished]]:
        results = evaluate(staffings)
        for staffing, runs in zip(staffings, results, strict=True):
            seen[staffing_key(staffing)] = runs
        return results

    return evaluate_and_keep, seen


def size_year(scenario_file: Path, base: dict[str, Any], year: int | None,
              targets: Sequence[Target], seed: int, replications: int, backend: Backend,
              confidence: float = 0.95,
              on_done: Callable[[Finished], None] | None = None) -> YearSizing:
    """Size the centre for one year (``None``: the scenario's own counts, no growth)."""
    plain = load_scenario(scenario_file, base)
    overrides = {**base, **target_overrides(plain, targets)}
    if year is not None:
        overrides.update(growth_overrides(plain, year))
    scenario = load_scenario(scenario_file, overrides)
    dims = shift_dimensions(scenario, targets) + zone_dimensions(scenario, targets)
    evaluate, seen = remembering(sweep_evaluator(scenario_file, overrides, dims, seed,
                                                 replications, backend, on_done))
    staffing, judgements, unreachable, points = search(dims, evaluate, confidence)
    chosen = load_scenario(scenario_file, {**overrides, **{d.path: staffing[d.name]
                                                           for d in dims}})
    sizing = YearSizing(year or base_year(scenario), sum(u.count for u in scenario.users),
                        sum(h.arrivals_per_h for h in incident_loads(scenario)),
                        tuple(dims), staffing, tuple(judgements), unreachable, points,
                        scenario=chosen,
                        runs=tuple(f.metrics for f in seen[staffing_key(staffing)]))
    sizing.reasons.update({d.name: explain(scenario, d, sizing) for d in dims})
    return sizing


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a shift's or zone's staffing differs from (or agrees with) Erlang C: a key and its
    values, put into words in the user's language by :func:`reports.i18n.reason_text`."""

    key: str
    values: tuple[tuple[str, str], ...] = ()

    def get(self, name: str) -> str:
        """One value by name ("" when absent)."""
        return dict(self.values).get(name, "")


def reason(key: str, **values: object) -> Reason:
    """A :class:`Reason` with its values as text."""
    return Reason(key, tuple((k, str(v)) for k, v in values.items()))


def explain(scenario: Scenario, dim: Dimension, sizing: YearSizing) -> Reason:
    """Why the simulated staffing differs from (or agrees with) the Erlang C estimate."""
    chosen = sizing.staffing[dim.name]
    if dim.name in sizing.unreachable:
        judged = sizing.judgements_of(dim.name)
        if all(j.mean >= j.target.share for j in judged):
            return reason("unreachable_ci", n=chosen)
        return reason("unreachable_zone" if dim.kind == "zone" else "unreachable_shift",
                      n=chosen)
    if dim.kind == "zone":
        return explain_zone(scenario, dim, chosen)
    return explain_shift(scenario, dim, chosen)


def explain_shift(scenario: Scenario, dim: Dimension, chosen: int) -> Reason:
    """Reasons for a shift."""
    analytic = dim.analytic or 0
    if chosen == dim.floor and analytic < dim.floor:
        return reason("floor", floor=dim.floor, analytic=analytic)
    if chosen == analytic:
        return reason("agrees_shift")
    shift = next(s for s in scenario.centre.shifts if s.name == dim.name)
    hours = hours_of(shift)
    if chosen < analytic:
        return reason("fewer_shift", peak=f"{dim.peak_hour:02d}", analytic=analytic)
    bursts = scheduled_hours(scenario) & set(hours)
    repeats = any(c.repeat for d in scenario.devices.values() for c in d.events.values())
    return reason("more_shift", hours=", ".join(f"{h:02d}" for h in sorted(bursts)),
                  repeats="yes" if repeats else "")


def explain_zone(scenario: Scenario, dim: Dimension, chosen: int) -> Reason:
    """Reasons for a zone."""
    delay = format_duration(round(dispatch_delay(scenario)))
    if dim.analytic is None:
        return reason("zone_no_estimate", delay=delay)
    if chosen == dim.analytic:
        return reason("agrees_zone")
    if chosen == dim.floor and dim.analytic < dim.floor:
        return reason("zone_floor")
    if chosen > dim.analytic:
        return reason("more_zone", delay=delay)
    return reason("fewer_zone", peak=f"{dim.peak_hour:02d}")


def scheduled_hours(scenario: Scenario) -> set[int]:
    """Hours of the day in which scheduled incident events (with ``at``) happen."""
    return {h for _k, _e, config, rates in incident_sources(scenario) if config.at
            for h, rate in enumerate(rates) if rate > 0}
