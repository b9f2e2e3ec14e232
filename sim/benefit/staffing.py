"""The centre's staffing in a comparison: the operators per shift that meet the answer target
(*svarmål*) in every year of the plan, so that the costs belong to a centre that reaches it.

Each year's staffing comes, in this order, from ``--staffing`` (given on the command line), from
the scenario's ``benefit.economics.staffing`` (recorded results of ``vtsim size``), from the
cache of an earlier search in the output folder, or from the sizing search
(:func:`sim.analysis.sizing.size_year`), which is expensive. ``--staffing scenario`` keeps the
shifts as the scenario writes them. Whether the target is met is judged per shift from the
comparison's own replications, the way the sizing search judges it (the lower end of the
confidence interval of the share answered in time reaches the target share).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from sim.analysis.aggregate import confidence_interval
from sim.analysis.attainment import on_shift
from sim.analysis.targets import Target, parse_target
from sim.errors import Problem, ScenarioError
from sim.model.metrics import share_within
from sim.model.records import RunLog
from sim.scenario.schema import Scenario

Source = Literal["given", "scenario", "cache", "search", "as written"]
AS_WRITTEN = "scenario"
"""``--staffing scenario``: the shifts as the scenario writes them, no search."""
ATTAINMENT = "staffing.attainment.{shift}"
_SPEC = re.compile(r"^\s*(?:(?P<year>\d{4})\s*:)?\s*(?P<shifts>.+)$")


@dataclass(frozen=True, slots=True)
class Staffing:
    """The operators per shift used in one year, and where they come from."""

    year: int
    shifts: dict[str, int]
    source: Source


def answer_target(scenario: Scenario) -> Target:
    """The answer target of the scenario's benefit section (default: answer 98.5 % in 60 s)."""
    text = scenario.benefit.economics.target if scenario.benefit else "answer 98.5% within 60s"
    return parse_target(text)


def parse_staffing(specs: Sequence[str], scenario: Scenario
                   ) -> tuple[bool, dict[int | None, dict[str, int]]]:
    """``--staffing`` values: ``day=4,evening=3,night=3`` for every year, ``2027:day=5,...``
    for one year, or ``scenario`` for the shifts as written. Returns (as written?, by year;
    ``None`` for every year)."""
    names = [s.name for s in scenario.centre.shifts]
    if [s.strip() for s in specs] == [AS_WRITTEN]:
        return True, {}
    out: dict[int | None, dict[str, int]] = {}
    for spec in specs:
        if spec.strip().endswith(".json"):
            out.update(read_sizing(Path(spec.strip()), answer_target(scenario), names))
            continue
        match = _SPEC.match(spec)
        shifts = _shift_counts(spec, match["shifts"] if match else "", names)
        out[int(match["year"]) if match and match["year"] else None] = shifts
    return False, out


def read_sizing(path: Path, target: Target,
                names: Sequence[str]) -> dict[int | None, dict[str, int]]:
    """The operators per shift of each year of a ``vtsim size --out`` result (sizing.json),
    which must have been sized for the comparison's answer target."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        sized = {(t["kind"], float(t["share"]), float(t["within_s"])) for t in data["targets"]}
        years = {int(y["year"]): {str(s["shift"]): int(s["operators"]) for s in y["shifts"]}
                 for y in data["years"]}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ScenarioError([Problem("--staffing", "", f"cannot read the sizing result ({exc}); "
                                     "give the sizing.json of `vtsim size --out`", str(path))
                             ]) from None
    if (target.kind, target.share, target.within_s) not in sized:
        raise ScenarioError([Problem("--staffing", "", f"{path} was not sized for "
                                     f"{target.describe()}; run vtsim size with that --target",
                                     str(path))])
    for year, shifts in years.items():
        if sorted(shifts) != sorted(names):
            raise ScenarioError([Problem("--staffing", "", f"{path}, {year}: the shifts "
                                         f"{', '.join(shifts)} are not the scenario's "
                                         f"({', '.join(names)})", str(path))])
    return dict(years.items())


def _shift_counts(spec: str, text: str, names: Sequence[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for part in text.split(","):
        name, sep, value = part.partition("=")
        if not sep or name.strip() not in names or not value.strip().isdigit():
            raise ScenarioError([Problem(
                "--staffing", "", f"expected SHIFT=N,... for the shifts {', '.join(names)} "
                "(optionally YEAR: first), or `scenario`", spec)])
        counts[name.strip()] = int(value)
    missing = [n for n in names if n not in counts]
    if missing:
        raise ScenarioError([Problem("--staffing", "", f"no operators given for the shifts "
                                    f"{', '.join(missing)}", spec)])
    return counts


def with_staffing(scenario: Scenario, shifts: Mapping[str, int]) -> Scenario:
    """The scenario with the operators of each named shift replaced."""
    updated = tuple(s.model_copy(update={"operators": shifts.get(s.name, s.operators)})
                    for s in scenario.centre.shifts)
    centre = scenario.centre.model_copy(update={"shifts": updated})
    return scenario.model_copy(update={"centre": centre})


def shifts_of(scenario: Scenario) -> dict[str, int]:
    """The operators per shift as the scenario writes them."""
    return {s.name: s.operators for s in scenario.centre.shifts}


def recorded(scenario: Scenario, year: int) -> dict[str, int] | None:
    """The staffing the scenario records for a year (``benefit.economics.staffing``)."""
    if scenario.benefit is None:
        return None
    found = scenario.benefit.economics.staffing.get(year)
    return dict(found) if found else None


Search = Callable[[int], dict[str, int]]
"""Runs the sizing search for one year and returns the operators per shift."""


def choose_staffing(scenario: Scenario, years: Sequence[int], specs: Sequence[str],
                    cache: StaffingCache | None, search: Search) -> dict[int, Staffing]:
    """The staffing of every year: given, recorded in the scenario, cached, or searched."""
    as_written, given = parse_staffing(specs, scenario)
    out = {}
    for year in years:
        if as_written:
            out[year] = Staffing(year, shifts_of(scenario), "as written")
        elif year in given or None in given:
            out[year] = Staffing(year, given.get(year) or given[None], "given")
        elif (found := recorded(scenario, year)) is not None:
            out[year] = Staffing(year, found, "scenario")
        elif cache is not None and (hit := cache.get(year)) is not None:
            out[year] = Staffing(year, hit, "cache")
        else:
            shifts = search(year)
            if cache is not None:
                cache.put(year, shifts)
            out[year] = Staffing(year, shifts, "search")
    return out


class StaffingCache:
    """Results of the sizing search kept in a JSON file, each under a key made of everything
    the search depends on (scenario text and overrides, year, target, seed, replications)."""

    def __init__(self, path: Path, identity: Mapping[str, Any]) -> None:
        self.path = path
        self.identity = dict(identity)

    def key(self, year: int) -> str:
        """The cache key of one year's search."""
        text = json.dumps({**self.identity, "year": year}, sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, year: int) -> dict[str, int] | None:
        """The cached staffing of a year, if any."""
        entry = self._read().get(self.key(year))
        if not isinstance(entry, dict) or not isinstance(entry.get("shifts"), dict):
            return None
        return {str(k): int(v) for k, v in entry["shifts"].items()}

    def put(self, year: int, shifts: Mapping[str, int]) -> None:
        """Keep a year's staffing."""
        data = self._read()
        data[self.key(year)] = {"year": year, "shifts": dict(shifts), **self.identity}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n",
                             encoding="utf-8")


def attainment_figures(scenario: Scenario, log: RunLog) -> dict[str, float]:
    """Share answered within the answer target, per shift, in one replication."""
    target = answer_target(scenario)
    start, horizon = scenario.warmup, scenario.horizon
    rows = [r for r in log.incidents if start <= r.t_received < horizon]
    received = np.array([r.t_received for r in rows], dtype=float)
    answered = np.array([r.t_answered for r in rows], dtype=float)
    out = {}
    for shift in scenario.centre.shifts:
        chosen = on_shift(shift, received)
        out[ATTAINMENT.format(shift=shift.name)] = share_within(
            received[chosen], answered[chosen], horizon, target.within_s)
    return out


@dataclass(frozen=True, slots=True)
class ShiftJudgement:
    """The target in one shift over the replications."""

    shift: str
    mean: float
    low: float
    n: int

    def met(self, share: float) -> bool:
        """Met with confidence (nothing to answer counts as met)."""
        return self.n == 0 or (not math.isnan(self.low) and self.low >= share)


def judge_year(scenario: Scenario, per_replication: Sequence[Mapping[str, float]],
               confidence: float) -> list[ShiftJudgement]:
    """Each shift's attainment of the target with the lower end of its confidence interval."""
    out = []
    for shift in scenario.centre.shifts:
        values = [r.get(ATTAINMENT.format(shift=shift.name), math.nan) for r in per_replication]
        mean, half = confidence_interval(values, confidence)
        n = sum(1 for v in values if not math.isnan(v))
        out.append(ShiftJudgement(shift.name, mean, mean - half, n))
    return out
