"""Measurements of one region replication: the region as a whole and each member.

Each member's figures are its own records measured as in :mod:`sim.model.metrics` against the
shared centre's shifts (``members.<name>.answer.within_60s``, …), plus the operator time its
alarms used. The region's figures pool every member's incidents and visits. Keys are documented
in ``docs/metrics.md`` (:data:`REGION_METRICS`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from sim.model.metrics import (
    DAY,
    MetricSpec,
    answer_metrics,
    replication_metrics,
    share_within,
)
from sim.model.records import RunLog
from sim.scenario.durations import format_duration
from sim.scenario.region import Region
from sim.scenario.schema import OUTCOMES, Shift

HOUR = 3600.0

REGION_METRICS: tuple[MetricSpec, ...] = (
    MetricSpec("incidents.count", "count", "Incidents opened in the window, all members."),
    MetricSpec("incidents.per_day", "1/d", "Incidents opened per day, all members."),
    MetricSpec("answer.*", "s / share",
               "Answer times and targets over every member's incidents, as for a scenario."),
    MetricSpec("operators.utilisation.{shift}", "share",
               "Busy share of the shared centre's operators on each shift."),
    MetricSpec("operators.busy_h", "h", "Operator hours spent on incidents in the window."),
    MetricSpec("attainment.answer.within_{target}.{shift}", "share",
               "Share answered within the target, incidents received on the shift."),
    MetricSpec("visits.*", "count / s / share", "Home visits of every member's home care."),
    MetricSpec("members.{member}.{key}", "",
               "Every figure of a scenario run (docs/metrics.md) for one member's own records, "
               "against the shared centre's shifts; operators.utilisation.{shift} is the share "
               "of the shared operators' time this member's alarms used."),
    MetricSpec("members.{member}.operators.busy_h", "h",
               "Operator hours the member's incidents used in the window (answer to close)."),
    MetricSpec("members.{member}.operators.busy_h.{shift}", "h",
               "Operator hours the member's incidents used, by the shared shift that took them."),
    MetricSpec("members.{member}.operators.busy_share", "share",
               "The member's share of all operator time used in the window."),
    MetricSpec("members.{member}.attainment.answer.within_{target}.{shift}", "share",
               "The member's share answered within the target, per shared shift (sizing)."),
    MetricSpec("costs.total", "NOK/yr", "The shared centre a year: paid operator hours and "
               "its fixed cost (costs section of the region file)."),
    MetricSpec("costs.{member}.own", "NOK/yr", "The member's own centre a year, as its "
               "scenario staffs it."),
    MetricSpec("costs.{member}.{key}", "NOK/yr", "The member's share of costs.total by a key: "
               "inhabitants, devices, alarms, operator_minutes, fixed_variable."),
    MetricSpec("gain.{member}.{key}", "NOK/yr", "Own centre less the share by the key."),
    MetricSpec("costs.own_total", "NOK/yr", "Every member's own centre together."),
    MetricSpec("gain.region", "NOK/yr", "costs.own_total less costs.total."),
    MetricSpec("models.{member}.{model}.{figure}", "",
               "With --models: answer.within_{target}, answer.mean_s, visits.response_mean_s, "
               "arsverk and cost (NOK/yr) for model own, shared, direct or purchased; "
               "{member} may be region (arsverk and cost). For a member with a benefit "
               "section also npv_{first}_{last} (NOK): the model's cost over the appraisal "
               "period, discounted with the tax cost (docs/benefit.md); for region only when "
               "every member has one."),
    MetricSpec("models.{member}.{model}_vs_own.{figure}", "",
               "With --models: the paired difference of a figure from the own centre, per "
               "replication (common random numbers)."),
)


def region_metrics(region: Region, logs: Mapping[str, RunLog]) -> dict[str, float]:
    """Every metric of one region replication: the region's, then ``members.<name>.*``."""
    window = (region.warmup, region.horizon)
    days = (window[1] - window[0]) / DAY
    targets = region.spec.targets
    members = {}
    for member in region.members:
        figures = replication_metrics(member.shared_view, logs[member.name])
        figures.update(operator_time(logs[member.name], window))
        figures.update(shift_attainment(logs[member.name], region.shifts,
                                        targets.answer_within, window))
        members[member.name] = figures
    out: dict[str, float] = {"window.days": days}
    for key in ("messages.received", "messages.aggregated", "incidents.count",
                "incidents.open_at_horizon", "visits.count",
                *(f"outcomes.{o}" for o in OUTCOMES)):
        out[key] = float(sum(m[key] for m in members.values()))
    out["messages.per_day"] = (out["messages.received"] + out["messages.aggregated"]) / days
    out["incidents.per_day"] = out["incidents.count"] / days
    received, answered = _pooled_incidents(logs.values(), window)
    out.update(answer_metrics(received, answered, window[1], targets.answer_within))
    out.update(_pooled_utilisation(region, members, logs, window))
    out.update(_pooled_visits(logs.values(), window, targets.visit_within))
    out["visits.per_day"] = out["visits.count"] / days
    out.update(shift_attainment_of(received, answered, region.shifts, targets.answer_within,
                                   window[1]))
    busy = out["operators.busy_h"]
    for name, figures in members.items():
        figures["operators.busy_share"] = figures["operators.busy_h"] / busy if busy else np.nan
        out.update({f"members.{name}.{key}": value for key, value in figures.items()})
    return out


def operator_time(log: RunLog, window: tuple[float, float]) -> dict[str, float]:
    """Operator hours the log's incidents used within the window (answer to close; an incident
    still in hand at the horizon counts until it), in all and by shift."""
    incidents = log.incidents
    start = incidents.numpy("t_answered")
    end = incidents.numpy("t_closed")
    end = np.where(np.isnan(end), window[1], end)
    seconds = np.maximum(0.0, np.minimum(end, window[1]) - np.maximum(start, window[0]))
    seconds = np.where(np.isnan(seconds), 0.0, seconds)
    out = {"operators.busy_h": float(seconds.sum()) / HOUR}
    codes, names = incidents.labels("shift")
    totals = np.bincount(codes, weights=seconds, minlength=len(names))
    for i, name in enumerate(names):
        if name:
            out[f"operators.busy_h.{name}"] = float(totals[i]) / HOUR
    return out


def shift_attainment(log: RunLog, shifts: Sequence[Shift], targets: Sequence[float],
                     window: tuple[float, float]) -> dict[str, float]:
    """Share answered within each target, per shift, of one log's incidents."""
    received, answered = _pooled_incidents([log], window)
    return shift_attainment_of(received, answered, shifts, targets, window[1])


def shift_attainment_of(received: np.ndarray, answered: np.ndarray, shifts: Sequence[Shift],
                        targets: Sequence[float], horizon: float) -> dict[str, float]:
    """``attainment.answer.within_{t}.{shift}`` for incidents received at ``received``."""
    out = {}
    clock = received % DAY
    for shift in shifts:
        on_duty = ((clock - shift.start_s) % DAY) < shift.length_s
        for target in targets:
            key = f"attainment.answer.within_{format_duration(target)}.{shift.name}"
            out[key] = share_within(received[on_duty], answered[on_duty], horizon, target)
    return out


def _pooled_incidents(logs: Iterable[RunLog],
                      window: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Received and answered times of every incident received in the window."""
    received, answered = [], []
    for log in logs:
        times = log.incidents.numpy("t_received")
        inside = (times >= window[0]) & (times < window[1])
        received.append(times[inside])
        answered.append(log.incidents.numpy("t_answered")[inside])
    return np.concatenate(received), np.concatenate(answered)


def _pooled_utilisation(region: Region, members: Mapping[str, Mapping[str, float]],
                        logs: Mapping[str, RunLog],
                        window: tuple[float, float]) -> dict[str, float]:
    """Busy share of the shared operators, per shift and in all."""
    first = next(iter(logs.values()))
    available: dict[str, float] = {}
    for s in first.staffing:
        if s.pool == "operators":
            overlap = max(0.0, min(s.end, window[1]) - max(s.start, window[0]))
            available[s.shift] = available.get(s.shift, 0.0) + s.workers * overlap
    out: dict[str, float] = {}
    total_busy = 0.0
    for shift in region.shifts:
        busy = sum(m.get(f"operators.busy_h.{shift.name}", 0.0) for m in members.values())
        total_busy += busy
        free = available.get(shift.name, 0.0) / HOUR
        out[f"operators.utilisation.{shift.name}"] = busy / free if free > 0 else np.nan
    free_all = sum(available.values()) / HOUR
    out["operators.utilisation.all"] = total_busy / free_all if free_all > 0 else np.nan
    out["operators.busy_h"] = float(sum(m["operators.busy_h"] for m in members.values()))
    return out


def _pooled_visits(logs: Iterable[RunLog], window: tuple[float, float],
                   targets: Sequence[float]) -> dict[str, float]:
    """Visit response times over every member's visits."""
    alarm_parts, arrived_parts, waits = [], [], []
    for log in logs:
        alarm = log.visits.numpy("t_alarm")
        inside = (alarm >= window[0]) & (alarm < window[1])
        alarm_parts.append(alarm[inside])
        arrived_parts.append(log.visits.numpy("t_arrived")[inside])
        waits.append((log.visits.numpy("t_assigned") - log.visits.numpy("t_requested"))[inside])
    alarm, arrived = np.concatenate(alarm_parts), np.concatenate(arrived_parts)
    response = arrived - alarm
    response = response[~np.isnan(response)]
    wait = np.concatenate(waits)
    wait = wait[~np.isnan(wait)]
    out = {
        "visits.response_mean_s": float(response.mean()) if response.size else np.nan,
        "visits.response_p90_s": float(np.percentile(response, 90)) if response.size
        else np.nan,
        "visits.wait_for_worker_mean_s": float(wait.mean()) if wait.size else np.nan,
    }
    for target in targets:
        out[f"visits.within_{format_duration(target)}"] = share_within(alarm, arrived,
                                                                        window[1], target)
    return out
