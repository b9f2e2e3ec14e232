"""Sizing a shared centre: the fewest operators per shift such that *every member* meets the
answer target with confidence, and which member binds.

The method, so that a region of a few hundred thousand inhabitants is sized in minutes:

1. **Erlang C per hour as the start.** The members' incident loads are pooled hour by hour
   (arrivals add up; the mean operator time is the arrival-weighted mean) and each hour gets
   the fewest operators Erlang C gives for the target; a shift starts at the most any of its
   hours needs, never below the IS-2552 floor of two.
2. **Common random numbers.** Replication ``i`` of every staffing draws the same alarms (each
   member's named streams), so two staffings differ only by the staffing.
3. **Replications only until the interval decides.** A staffing's replications run in batches
   (one per worker). After each batch, for every shift and every member, the Student t interval
   of the share answered within the target either lies above the target (met), has its upper
   end below it (missed: no more replications will rescue it), or straddles it (undecided: one
   more batch). A staffing where every member is decided on a shift stops for that shift; one
   still undecided at ``most_replications`` counts as not met with confidence.
4. **Representative horizons.** A replication simulates the region's horizon (a whole number
   of days: the 24-hour profiles repeat daily), after its warm-up. Replications are
   independent, so the interval across them is valid for any horizon; a shorter horizon buys
   more replications for the same alarms, which is what decides the interval.

The search then moves each shift by one operator at a time (one more where a member misses,
one fewer where every member still meets the target with one fewer) until nothing moves, as
:mod:`sim.analysis.sizing` does for one municipality.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field

from sim.analysis.aggregate import confidence_interval
from sim.analysis.erlang import HourlyLoad, hours_of, incident_loads, servers_per_hour
from sim.analysis.targets import Target
from sim.model.member_metrics import shift_attainment
from sim.run.region import run_region_replication
from sim.scenario.durations import format_duration
from sim.scenario.region import Region

FEWEST_OPERATORS = 2
"""Never fewer than two on duty: one is not professionally sound (Helsedirektoratet IS-2552)."""
MOST_EXTRA = 8
MOST_ROUNDS = 40
MET, MISSED, UNDECIDED = "met", "missed", "undecided"


def pooled_loads(region: Region) -> list[HourlyLoad]:
    """Incidents per hour of the day of every member together, with their mean operator
    time."""
    arrivals = [0.0] * 24
    work = [0.0] * 24
    for member in region.members:
        for load in incident_loads(member.shared_view):
            arrivals[load.hour] += load.arrivals_per_h
            work[load.hour] += load.arrivals_per_h * load.mean_service_s
    return [HourlyLoad(h, arrivals[h], work[h] / arrivals[h] if arrivals[h] else 0.0)
            for h in range(24)]


def erlang_start(region: Region, targets: Sequence[Target]) -> dict[str, int]:
    """Operators per shared shift by Erlang C on the pooled load (the most any hour of the shift
    needs), at least the floor."""
    loads = pooled_loads(region)
    need = [max(per_hour) for per_hour in zip(
        *(servers_per_hour(loads, t.within_s, t.share) for t in targets), strict=True)]
    floor = max(FEWEST_OPERATORS, region.spec.centre.min_operators)
    return {s.name: max(floor, max(need[h] for h in hours_of(s))) for s in region.shifts}


def members_alone(region: Region, targets: Sequence[Target]) -> dict[str, dict[str, int]]:
    """Operators per shift by the same Erlang C estimate for each member alone (its own
    centre on the shared centre's shifts): what sharing is compared with."""
    floor = max(FEWEST_OPERATORS, region.spec.centre.min_operators)
    out = {}
    for member in region.members:
        loads = incident_loads(member.shared_view)
        need = [max(per_hour) for per_hour in zip(
            *(servers_per_hour(loads, t.within_s, t.share) for t in targets), strict=True)]
        out[member.name] = {s.name: max(floor, max(need[h] for h in hours_of(s)))
                            for s in region.shifts}
    return out


def replication_attainment(region: Region, seed: int, index: int,
                           targets: tuple[float, ...]) -> tuple[dict[str, float], float, float]:
    """One replication: every member's share answered within each target per shift
    (``member|shift|target``), the number of incidents simulated and the processor seconds
    it took."""
    started = time.process_time()
    logs = run_region_replication(region, seed, index).members
    window = (region.warmup, region.horizon)
    out: dict[str, float] = {}
    alarms = 0.0
    for name, log in logs.items():
        shares = shift_attainment(log, region.shifts, targets, window)
        for shift in region.shifts:
            for target in targets:
                key = f"attainment.answer.within_{format_duration(target)}.{shift.name}"
                out[f"{name}|{shift.name}|{target:g}"] = shares[key]
        alarms += float(len(log.incidents))
    return out, alarms, time.process_time() - started


@dataclass(frozen=True, slots=True)
class MemberJudgement:
    """One member's share within one target on one shift, at one staffing."""

    member: str
    shift: str
    target: Target
    mean: float
    low: float
    high: float
    n: int

    @property
    def verdict(self) -> str:
        """Met (lower end at or above the target), missed (upper end below it), or undecided."""
        if self.n == 0:
            return MET  # nothing to answer on this shift: nothing missed
        if not math.isnan(self.low) and self.low >= self.target.share:
            return MET
        if not math.isnan(self.high) and self.high < self.target.share:
            return MISSED
        return UNDECIDED

    @property
    def margin(self) -> float:
        """How far the lower end lies above the target (negative: below)."""
        return self.low - self.target.share


@dataclass
class Evaluation:
    """A staffing's replications so far and what they say."""

    staffing: dict[str, int]
    runs: list[dict[str, float]] = field(default_factory=list)
    judgements: list[MemberJudgement] = field(default_factory=list)
    exhausted: bool = False
    """Every replication allowed has run: what is still undecided is judged on its mean."""

    def shift_verdict(self, shift: str) -> str:
        """Missed if any member misses, met if every member meets, else undecided; once the
        replications are exhausted, an undecided member meets the target if its mean does."""
        judged = [j for j in self.judgements if j.shift == shift]
        verdicts = {j.verdict for j in judged}
        if MISSED in verdicts:
            return MISSED
        if UNDECIDED not in verdicts:
            return MET
        if not self.exhausted:
            return UNDECIDED
        return MET if all(j.mean >= j.target.share for j in judged
                          if j.verdict == UNDECIDED) else MISSED

    def on_the_mean(self, shift: str) -> list[str]:
        """Members judged on the mean on this shift (their interval never decided)."""
        if not self.exhausted:
            return []
        return sorted({j.member for j in self.judgements
                       if j.shift == shift and j.verdict == UNDECIDED})

    def binding(self, shift: str) -> MemberJudgement | None:
        """The member judgement with the least margin on a shift: the member that binds."""
        chosen = [j for j in self.judgements if j.shift == shift and j.n > 0]
        return min(chosen, key=lambda j: (j.margin if not math.isnan(j.margin) else -1.0,
                                          j.member)) if chosen else None


@dataclass
class SizingStats:
    """What the search cost: staffings simulated, replications, alarms, wall time."""

    staffings: int = 0
    replications: int = 0
    alarms: float = 0.0
    simulated_days: float = 0.0
    wall_s: float = 0.0
    cpu_s: float = 0.0
    """Processor seconds of the replications (on an idle machine with ``w`` cores, about
    ``w`` x the wall time they take)."""


def judge_runs(region: Region, runs: Sequence[dict[str, float]], targets: Sequence[Target],
               confidence: float) -> list[MemberJudgement]:
    """Every member's interval for every target and shift over the runs so far."""
    out = []
    for member in region.members:
        for shift in region.shifts:
            for target in targets:
                values = [r[f"{member.name}|{shift.name}|{target.within_s:g}"] for r in runs]
                mean, half = confidence_interval(values, confidence)
                n = sum(1 for v in values if not math.isnan(v))
                out.append(MemberJudgement(member.name, shift.name, target, mean, mean - half,
                                           mean + half, n))
    return out


class RegionSizer:
    """Runs the search on an executor with ``slots`` replications at a time."""

    def __init__(self, region: Region, targets: Sequence[Target], seed: int, executor: Executor,
                 slots: int, confidence: float = 0.95, least_replications: int = 4,
                 most_replications: int = 40,
                 on_progress: Callable[[str], None] | None = None) -> None:
        self.region = region
        self.targets = tuple(t for t in targets if t.kind == "answer")
        if not self.targets:
            raise ValueError("a shared centre is sized on answer targets "
                             "(each member's visits are its own home care's)")
        self.seed = seed
        self.executor = executor
        self.slots = max(1, slots)
        self.confidence = confidence
        self.least = max(2, least_replications)
        self.most = max(self.least, most_replications)
        self.cache: dict[tuple[int, ...], Evaluation] = {}
        self.stats = SizingStats()
        self.on_progress = on_progress or (lambda _text: None)
        self._within = tuple(sorted({t.within_s for t in self.targets}))

    def evaluate(self, staffing: dict[str, int], shifts: Sequence[str]) -> Evaluation:
        """Replications of ``staffing`` until the verdict on each of ``shifts`` is decided
        (or the most replications are run); cached, and continued when asked again."""
        key = tuple(staffing[s.name] for s in self.region.shifts)
        evaluation = self.cache.setdefault(key, Evaluation(dict(staffing)))
        if not evaluation.runs:
            self.stats.staffings += 1
        region = self.region.with_operators(staffing)
        while len(evaluation.runs) < self.most:
            if len(evaluation.runs) >= self.least and self._decided(evaluation, shifts):
                break
            batch = self.slots if len(evaluation.runs) >= self.least else \
                max(self.slots, self.least - len(evaluation.runs))
            start = len(evaluation.runs)
            futures = [self.executor.submit(replication_attainment, region, self.seed, i,
                                            self._within)
                       for i in range(start, min(self.most, start + batch))]
            for future in futures:
                shares, alarms, cpu = future.result()
                self.stats.cpu_s += cpu
                evaluation.runs.append(shares)
                self.stats.replications += 1
                self.stats.alarms += alarms
                self.stats.simulated_days += region.horizon / 86400.0
            evaluation.judgements = judge_runs(region, evaluation.runs, self.targets,
                                               self.confidence)
        evaluation.exhausted = len(evaluation.runs) >= self.most
        self.on_progress(f"{_describe(staffing)}: {len(evaluation.runs)} replications; "
                         + ", ".join(f"{s} {evaluation.shift_verdict(s)}" for s in shifts))
        return evaluation

    @staticmethod
    def _decided(evaluation: Evaluation, shifts: Sequence[str]) -> bool:
        """Enough replications: every shift decided, or one missed (the staffing changes
        anyway; a shift still undecided is judged again at the next staffing)."""
        verdicts = [evaluation.shift_verdict(s) for s in shifts]
        return MISSED in verdicts or UNDECIDED not in verdicts

    def met(self, evaluation: Evaluation, shift: str) -> bool:
        """Met with confidence by every member (undecided at the most replications: not met)."""
        return evaluation.shift_verdict(shift) == MET

    def search(self) -> RegionSizing:
        """The fewest operators per shift with every member meeting every target."""
        started = time.perf_counter()
        names = [s.name for s in self.region.shifts]
        start = erlang_start(self.region, self.targets)
        current = dict(start)
        failed = {n: FEWEST_OPERATORS - 1 for n in names}
        unreachable: set[str] = set()
        for _ in range(MOST_ROUNDS):
            here = self.evaluate(current, names)
            moved = False
            verdicts = {name: here.shift_verdict(name) for name in names}
            some_missed = MISSED in verdicts.values()
            for name in names:
                if name in unreachable or verdicts[name] == MET:
                    continue
                if verdicts[name] == UNDECIDED and some_missed:
                    continue  # judged again at the next staffing
                failed[name] = max(failed[name], current[name])
                if current[name] >= start[name] + MOST_EXTRA:
                    unreachable.add(name)
                else:
                    current[name] += 1
                    moved = True
            if moved:
                continue
            for name in names:
                if current[name] - 1 <= failed[name] or name in unreachable:
                    continue
                probe = {**current, name: current[name] - 1}
                if self.met(self.evaluate(probe, [name]), name):
                    current = probe
                    moved = True
                else:
                    failed[name] = current[name] - 1
            if not moved:
                break
        final = self.cache[tuple(current[s] for s in names)]
        fewer = {n: self.cache.get(tuple(current[s] - (s == n) for s in names))
                 for n in names}
        self.stats.wall_s = time.perf_counter() - started
        return RegionSizing(self.region.name, start, dict(current), final, fewer,
                            frozenset(unreachable), self.stats)


def _describe(staffing: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in staffing.items())


@dataclass(frozen=True)
class RegionSizing:
    """The result: Erlang C start, chosen staffing, the judgements there and at one fewer."""

    region: str
    erlang: dict[str, int]
    staffing: dict[str, int]
    chosen: Evaluation
    one_fewer: dict[str, Evaluation | None]
    unreachable: frozenset[str]
    stats: SizingStats

    def binding_member(self, shift: str) -> str:
        """The member that decides the shift: the one missing the target with one operator
        fewer (the first by least margin), else the one with least margin now."""
        fewer = self.one_fewer.get(shift)
        if fewer is not None:
            missing = [j for j in fewer.judgements if j.shift == shift and j.verdict != MET]
            if missing:
                return min(missing, key=lambda j: (j.mean, j.member)).member
        binding = self.chosen.binding(shift)
        return binding.member if binding else ""

    def reason(self, shift: str) -> str:
        """Why the shift has its operators, in a sentence."""
        chosen = self.staffing[shift]
        if shift in self.unreachable:
            return (f"not met with confidence even at {chosen}: check the members' handling "
                    "times and the target")
        member = self.binding_member(shift)
        fewer = self.one_fewer.get(shift)
        if chosen <= FEWEST_OPERATORS and (fewer is None or not fewer.runs):
            return f"the IS-2552 floor of {FEWEST_OPERATORS} binds"
        judged = [j for j in (fewer.judgements if fewer else []) if j.shift == shift
                  and j.member == member]
        text = f"{member} has the least margin"
        if judged:
            worst = min(judged, key=lambda j: j.mean)
            short = (f"short of {worst.target.share:.1%}" if worst.mean < worst.target.share
                     else f"not shown to reach {worst.target.share:.1%}")
            text = (f"{member} binds: with {chosen - 1} its share within "
                    f"{format_duration(worst.target.within_s)} is {worst.mean:.1%} "
                    f"(interval {worst.low:.1%}–{worst.high:.1%}), {short}")
        on_mean = self.chosen.on_the_mean(shift)
        if on_mean:
            text += (f"; judged on the mean after {len(self.chosen.runs)} replications, the "
                     f"interval still too wide: {', '.join(on_mean)}")
        return text
