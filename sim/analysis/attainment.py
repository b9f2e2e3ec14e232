"""Target attainment per shift and per zone, from one replication's records.

The run's metrics (:mod:`sim.model.metrics`) give the share answered within each target over the
whole
day. Sizing needs it for each shift (the incidents received while the shift is on duty) and the
share of visits on site in time for each zone, so that every shift and every zone can be sized
on its own. The rules are those of :func:`sim.model.metrics.share_within`.
"""

from __future__ import annotations

import numpy as np

from sim.model.metrics import share_within
from sim.model.records import RunLog
from sim.scenario.durations import format_duration
from sim.scenario.schema import Scenario, Shift

DAY = 86400.0
HOUR = 3600.0


def attainment_metrics(scenario: Scenario, log: RunLog) -> dict[str, float]:
    """``attainment.answer.within_{t}.{shift}``, ``attainment.answer.within_{t}.hour_{hh}`` and
    ``attainment.visits.within_{t}.{zone}``."""
    out = answer_attainment(scenario, log)
    out.update(hourly_answer_attainment(scenario, log))
    out.update(visit_attainment(scenario, log))
    return out


def answer_attainment(scenario: Scenario, log: RunLog) -> dict[str, float]:
    """Share answered within each answer target, per shift."""
    start, horizon = scenario.warmup, scenario.horizon
    rows = [r for r in log.incidents if start <= r.t_received < horizon]
    received = np.array([r.t_received for r in rows], dtype=float)
    answered = np.array([r.t_answered for r in rows], dtype=float)
    out = {}
    for shift in scenario.centre.shifts:
        on_duty = on_shift(shift, received)
        for target in scenario.targets.answer_within:
            key = f"attainment.answer.within_{format_duration(target)}.{shift.name}"
            out[key] = share_within(received[on_duty], answered[on_duty], horizon, target)
    return out


def hourly_answer_attainment(scenario: Scenario, log: RunLog) -> dict[str, float]:
    """Share answered within each answer target, per hour of the day the incident arrived
    (``hour_00`` … ``hour_23``), to show which hours of a shift are weakest."""
    start, horizon = scenario.warmup, scenario.horizon
    rows = [r for r in log.incidents if start <= r.t_received < horizon]
    received = np.array([r.t_received for r in rows], dtype=float)
    answered = np.array([r.t_answered for r in rows], dtype=float)
    hours = (received % DAY // HOUR).astype(int)
    out = {}
    for target in scenario.targets.answer_within:
        for hour in range(24):
            picked = hours == hour
            key = f"attainment.answer.within_{format_duration(target)}.hour_{hour:02d}"
            out[key] = share_within(received[picked], answered[picked], horizon, target)
    return out


def visit_attainment(scenario: Scenario, log: RunLog) -> dict[str, float]:
    """Share of visits on site within each visit target, per zone."""
    start, horizon = scenario.warmup, scenario.horizon
    out = {}
    for zone in scenario.zones:
        rows = [v for v in log.visits if v.zone == zone.name and start <= v.t_alarm < horizon]
        alarm = np.array([v.t_alarm for v in rows], dtype=float)
        arrived = np.array([v.t_arrived for v in rows], dtype=float)
        for target in scenario.targets.visit_within:
            key = f"attainment.visits.within_{format_duration(target)}.{zone.name}"
            out[key] = share_within(alarm, arrived, horizon, target)
    return out


def on_shift(shift: Shift, times: np.ndarray) -> np.ndarray:
    """Which of ``times`` (simulated seconds, 0 = midnight) fall within the shift."""
    return ((times % DAY - shift.start_s) % DAY) < shift.length_s
